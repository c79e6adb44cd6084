// A legacy-style server-side service for the browser test of tests/it/e2e_modes.rs: an
// Express app signing people in with Auth0's `express-openid-connect` (a relying-party
// library the rest of the suite does not use), configured as an old portal would be:
// `response_mode=form_post` (the code arrives in a POST to /callback) and OpenID Connect
// Front-Channel Logout (Gerbang's logout page loads /frontchannel-logout?iss=…&sid=… in a
// hidden frame). The front-channel handler checks `iss` and records the `sid` as logged out
// in the store the library's own logout check reads, so the local session ends at the
// next request. Prints "listening <port>"; /_test tells the test what happened.
import express from 'express';
import eoc from 'express-openid-connect';

const { auth } = eoc;
const issuer = process.env.ISSUER;
const app = express();
const seen = { callbacks: [], logins: [], frontchannel: [] };

// The logout store the library's Back-Channel Logout hooks read (`isLoggedOut`): keys are
// `${iss}|${sid}`. An in-memory map with the express-session store interface.
const logouts = new Map();
const store = {
  get: (k, cb) => cb(null, logouts.get(k)),
  set: (k, v, cb) => { logouts.set(k, v); cb(null); },
  destroy: (k, cb) => { logouts.delete(k); cb(null); },
};

app.use((req, _res, next) => {
  if (req.path === '/callback') seen.callbacks.push(req.method);
  next();
});

const server = app.listen(0, '127.0.0.1', () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  app.use(auth({
    issuerBaseURL: issuer,
    baseURL: base,
    clientID: 'legacy',
    clientSecret: process.env.SECRET,
    secret: 'a-session-secret-for-the-legacy-test-service-0123456789',
    authRequired: false,
    idpLogout: true,
    idTokenSigningAlg: 'ES256',
    authorizationParams: { response_type: 'code', response_mode: 'form_post', scope: 'openid profile' },
    backchannelLogout: { store },
    routes: { callback: '/callback', postLogoutRedirect: '/signed-out' },
    afterCallback: (_req, _res, session) => {
      const claims = JSON.parse(Buffer.from(session.id_token.split('.')[1], 'base64url'));
      seen.logins.push({ sid: claims.sid, sub: claims.sub, nip: claims.nip });
      return session;
    },
  }));
  // OIDC Front-Channel Logout 1.0 §2: the OP frames this with `iss` and `sid`.
  app.get('/frontchannel-logout', (req, res) => {
    const { iss, sid } = req.query;
    const ok = iss === issuer && typeof sid === 'string' && sid.length > 0;
    seen.frontchannel.push({ iss, sid, ok });
    if (ok) logouts.set(`${iss}|${sid}`, { cookie: { expires: Date.now() + 3600e3, maxAge: 3600e3 } });
    // Framed by Gerbang's logout page only.
    res.set('content-security-policy', `frame-ancestors ${new URL(issuer).origin}`);
    res.set('cache-control', 'no-store');
    res.type('html').send('<!doctype html><title>signed out</title>');
  });
  app.get('/', (req, res) => {
    const who = req.oidc.isAuthenticated() ? req.oidc.user.name : null;
    res.type('html').send(`<!doctype html><html lang="id"><title>Portal lama</title>
<h1>Portal lama</h1><p id="who">${who ? `Masuk sebagai ${who.replace(/[<>&"]/g, '')}` : 'Belum masuk'}</p>`);
  });
  app.get('/me', (req, res) => {
    res.json({ user: req.oidc.isAuthenticated() ? req.oidc.user : null });
  });
  app.get('/signed-out', (_req, res) => res.type('html').send('<!doctype html><title>bye</title>'));
  app.get('/_test', (_req, res) => res.json(seen));
  console.log(`listening ${server.address().port}`);
});
