// Demo downstream services for the browser journey (tests/it/e2e.rs): each is a tiny web app
// signing people in through Gerbang with openid-client, keeping its own session cookie,
// offering "Keluar" (RP-initiated logout) and honouring back-channel logout (jose).
// SERVICES="myasn,ekinerja" starts one per name, each on its own port; prints
// "listening <name> <port>" per service. All use client secret SECRET.
import http from 'node:http';
import crypto from 'node:crypto';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = process.env.ISSUER;
const secret = process.env.SECRET;
const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="id"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<body style="font-family:sans-serif;margin:2rem"><h1>${title}</h1>${body}</body></html>`);
}

function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function startService(name) {
  const sessions = new Map(); // cookie value -> { claims, idToken }
  const pending = new Map(); // state -> { verifier, nonce }
  const cookieName = `demo_${name}`;
  let config;
  let base;
  const getConfig = async () => {
    config ??= await client.discovery(new URL(issuer), name, secret, client.ClientSecretBasic(secret), {
      execute: [client.allowInsecureRequests],
    });
    return config;
  };
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, base);
      const cookie = (req.headers.cookie || '').split(/;\s*/).find((c) => c.startsWith(`${cookieName}=`));
      const session = cookie && sessions.get(cookie.slice(cookieName.length + 1));
      if (url.pathname === '/' && session) {
        return page(res, 200, `Layanan ${name}`,
          `<p id="who">Selamat datang, <strong>${escape(session.claims.name)}</strong> (NIP ${escape(session.claims.nip)})</p>
<p><a id="logout" href="/logout">Keluar dari semua layanan</a></p>`);
      }
      if (url.pathname === '/' || url.pathname === '/login') {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        pending.set(state, { verifier, nonce });
        const to = client.buildAuthorizationUrl(await getConfig(), {
          redirect_uri: `${base}/callback`,
          scope: 'openid profile email',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        });
        res.writeHead(302, { location: to.href });
        return res.end();
      }
      if (url.pathname === '/callback') {
        const p = pending.get(url.searchParams.get('state'));
        if (!p) return page(res, 400, 'Permintaan tidak dikenal', '');
        if (url.searchParams.get('error')) {
          return page(res, 403, 'Akses ditolak', `<p id="error">${escape(url.searchParams.get('error'))}</p>`);
        }
        const tokens = await client.authorizationCodeGrant(await getConfig(), url, {
          pkceCodeVerifier: p.verifier, expectedState: url.searchParams.get('state'), expectedNonce: p.nonce,
        });
        const id = crypto.randomBytes(24).toString('hex');
        sessions.set(id, { claims: tokens.claims(), idToken: tokens.id_token });
        res.writeHead(302, { location: '/', 'set-cookie': `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax` });
        return res.end();
      }
      if (url.pathname === '/logout') {
        if (!session) { res.writeHead(302, { location: '/' }); return res.end(); }
        sessions.delete(cookie.slice(cookieName.length + 1));
        const to = client.buildEndSessionUrl(await getConfig(), {
          id_token_hint: session.idToken, post_logout_redirect_uri: `${base}/signed-out`, state: name,
        });
        res.writeHead(302, { location: to.href });
        return res.end();
      }
      if (url.pathname === '/signed-out') {
        return page(res, 200, `Layanan ${name}`, '<p id="signed-out">Anda telah keluar.</p>');
      }
      if (url.pathname === '/backchannel' && req.method === 'POST') {
        let body = '';
        for await (const chunk of req) body += chunk;
        const token = new URLSearchParams(body).get('logout_token') || '';
        const { payload } = await jwtVerify(token, jwks, { issuer, audience: name, typ: 'logout+jwt' });
        if (!payload.events?.[EVENT]) throw new Error('not a logout token');
        for (const [id, s] of sessions) if (s.claims.sid === payload.sid) sessions.delete(id);
        res.writeHead(200);
        return res.end();
      }
      page(res, 404, 'Tidak ditemukan', '');
    } catch (e) {
      page(res, 500, 'Kesalahan', `<pre>${escape(e.stack || e)}</pre>`);
    }
  });
  server.listen(0, '127.0.0.1', () => {
    base = `http://127.0.0.1:${server.address().port}`;
    console.log(`listening ${name} ${server.address().port}`);
  });
}

for (const name of (process.env.SERVICES || '').split(',').filter(Boolean)) startService(name);
