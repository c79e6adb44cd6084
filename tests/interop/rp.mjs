// A downstream service written the ordinary Node.js way: openid-client does discovery,
// code + PKCE (plain and pushed), ID token validation, userinfo, refresh and end-session.
// The Rust test (tests/it/interop.rs) hands it a signed-in browser's cookie to play the user
// agent, and reads one JSON result from stdout.
import * as client from 'openid-client';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const issuer = env('ISSUER');
const cookie = env('SSO_COOKIE');
const redirectUri = env('REDIRECT_URI');

const config = await client.discovery(
  new URL(issuer),
  env('CLIENT_ID'),
  env('CLIENT_SECRET'),
  client.ClientSecretBasic(env('CLIENT_SECRET')),
  // Loopback test server over http; production issuers are https.
  { execute: [client.allowInsecureRequests] },
);

// The browser's part: follow /authorize with the SSO cookie, expect the redirect back.
async function userAgent(url) {
  const res = await fetch(url, { redirect: 'manual', headers: { cookie } });
  const loc = res.headers.get('location');
  if (res.status !== 302 || !loc) throw new Error(`authorize answered ${res.status} ${loc}`);
  return new URL(loc);
}

async function signIn(pushed) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  const url = pushed
    ? await client.buildAuthorizationUrlWithPAR(config, params)
    : client.buildAuthorizationUrl(config, params);
  const back = await userAgent(url);
  return client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
}

const tokens = await signIn(false);
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const viaPar = await signIn(true);
const end = client.buildEndSessionUrl(config, {
  id_token_hint: viaPar.id_token,
  post_logout_redirect_uri: env('POST_LOGOUT_URI'),
  state: 'node-bye',
});
const ended = await fetch(end, { redirect: 'manual', headers: { cookie } });

console.log(JSON.stringify({
  sub: claims.sub,
  nip: claims.nip,
  sid: claims.sid,
  acr: claims.acr,
  userinfo_nip: userinfo.nip,
  refreshed_id_sub: refreshed.claims()?.sub,
  refresh_rotated: refreshed.refresh_token !== tokens.refresh_token,
  par_sub: viaPar.claims().sub,
  logout_status: ended.status,
  logout_location: ended.headers.get('location'),
}));
