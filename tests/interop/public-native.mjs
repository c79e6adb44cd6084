// A native app as AppAuth would be one, played by openid-client as a *public* client
// (token_endpoint_auth_method none, no secret): it opens a loopback listener on an
// ephemeral port nobody registered (RFC 8252 §7.3), sends the user agent to Gerbang with
// PKCE S256, receives the code on that port, exchanges it, reads userinfo and refreshes
// (rotation). The Rust test (tests/it/e2e_public.rs) hands it a signed-in browser's cookie
// to play the user agent, and reads one JSON result from stdout.
import http from 'node:http';
import * as client from 'openid-client';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const issuer = env('ISSUER');
const cookie = env('SSO_COOKIE');

// The app's loopback listener: whatever port the system gives.
let received;
const gotCode = new Promise((resolve) => { received = resolve; });
const listener = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('Kembali ke aplikasi.');
  received(new URL(req.url, `http://127.0.0.1:${listener.address().port}`));
});
await new Promise((r) => listener.listen(0, '127.0.0.1', r));
const redirectUri = `http://127.0.0.1:${listener.address().port}/oauth2redirect`;

const config = await client.discovery(
  new URL(issuer),
  env('CLIENT_ID'),
  undefined,
  client.None(),
  { execute: [client.allowInsecureRequests] },
);

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
});
// The user agent: Gerbang answers from the SSO session with a redirect to the app's port,
// which the user agent then opens.
const res = await fetch(url, { redirect: 'manual', headers: { cookie } });
const loc = res.headers.get('location');
if (res.status !== 302 || !loc) throw new Error(`authorize answered ${res.status} ${loc}`);
await fetch(loc);
const back = await gotCode;
listener.close();

const tokens = await client.authorizationCodeGrant(config, back, {
  pkceCodeVerifier: verifier,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
// The spent refresh token, replayed, is refused (and revokes the family).
let replay = 'accepted';
try {
  await client.refreshTokenGrant(config, tokens.refresh_token);
} catch (e) {
  replay = e.error || String(e);
}
let successor = 'accepted';
try {
  await client.refreshTokenGrant(config, refreshed.refresh_token);
} catch (e) {
  successor = e.error || String(e);
}

console.log(JSON.stringify({
  redirect_uri: redirectUri,
  code_on_the_port: back.searchParams.has('code'),
  sub: claims.sub,
  nip: claims.nip,
  scope: tokens.scope,
  userinfo_nip: userinfo.nip,
  refreshed_sub: refreshed.claims()?.sub,
  refresh_rotated: refreshed.refresh_token !== tokens.refresh_token,
  replay,
  successor,
}));
