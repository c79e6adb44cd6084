// A downstream service's server side, with jose: an API that accepts Gerbang's JWT access
// tokens offline (JWKS, issuer, audience, expiry, typ at+jwt), and an OpenID Connect
// back-channel logout endpoint that validates logout tokens (§2.6).
// Prints "listening <port>" when ready; the Rust test drives it over HTTP.
import http from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = process.env.ISSUER;
const audience = process.env.CLIENT_ID;
const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
const received = [];
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

async function body(req) {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

function send(res, status, obj) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/api/me') {
      const token = (req.headers.authorization || '').replace(/^Bearer /, '');
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' });
        return send(res, 200, { sub: payload.sub, scope: payload.scope });
      } catch (e) {
        return send(res, 401, { error: e.code || 'invalid_token' });
      }
    }
    if (req.method === 'POST' && req.url === '/backchannel') {
      const token = new URLSearchParams(await body(req)).get('logout_token') || '';
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer, audience, typ: 'logout+jwt', requiredClaims: ['iat', 'jti', 'sid'],
        });
        if (!payload.events || typeof payload.events[EVENT] !== 'object' || 'nonce' in payload) {
          throw new Error('not a logout token');
        }
        received.push({ sid: payload.sid, sub: payload.sub, aud: payload.aud });
        res.writeHead(200, { 'cache-control': 'no-store' });
        return res.end();
      } catch (e) {
        return send(res, 400, { error: 'invalid_request', detail: String(e.code || e.message) });
      }
    }
    if (req.method === 'GET' && req.url === '/received') return send(res, 200, received);
    send(res, 404, { error: 'not_found' });
  } catch (e) {
    send(res, 500, { error: String(e) });
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
