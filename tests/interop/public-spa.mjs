// A single-page app signing in to Gerbang from the browser: oidc-client-ts served from a
// second loopback origin (SPA) as a public client. It signs in through Gerbang's pages
// (password + TOTP), calls /userinfo from the page (CORS), renews with its refresh token
// (rotation: a new token, the old one refused and its grant revoked), and signs out. A page
// from an origin nobody registered (ELSEWHERE) is blocked by the browser at /userinfo and
// discovery. Run by tests/it/e2e_public.rs.
import { env, gerbang, page, shot, help, expect, checkPage, run } from './lib.mjs';

const spa = env('SPA');
const elsewhere = env('ELSEWHERE');
const nip = env('NIP');
const clientId = env('CLIENT_ID');

// fetch() from the page; a CORS refusal rejects, which we report as 'blocked'.
async function pageFetch(url, init) {
  return page.evaluate(async ({ url, init }) => {
    try {
      const r = await fetch(url, init);
      return { status: r.status, body: await r.json() };
    } catch (e) {
      return { blocked: String(e) };
    }
  }, { url, init });
}

// The app's own errors (a refused CORS call, a failed renewal) end up in the test's output.
page.on('pageerror', (e) => console.error(`page error: ${e}`));
page.on('console', (m) => { if (m.type() === 'error') console.error(`console: ${m.text()}`); });

await run(async () => {
  // Sign in: the app sends the browser to Gerbang's login page.
  await page.goto(`${spa}/index.html`);
  await page.evaluate(() => { window.mgr.signinRedirect(); });
  await page.waitForURL(`${gerbang}/login**`);
  await checkPage();
  await shot('spa-login');
  await page.fill('#nip', nip);
  await page.fill('#password', env('PASSWORD'));
  await page.fill('#otp', await help(`/otp/${nip}`));
  await page.click('form[action="/login"] button[type="submit"]');
  await page.waitForURL(`${spa}/callback.html**`);
  await page.waitForSelector('body[data-signed-in]');
  await shot('spa-signed-in');
  const first = await page.evaluate(async () => {
    const u = await window.ready;
    return { nip: u.profile.nip, rt: u.refresh_token, at: u.access_token };
  });
  expect(first.nip === nip, 'the app loaded the profile from /userinfo (CORS)');
  expect(!!first.rt, 'a refresh token');

  // The app calls /userinfo itself.
  const info = await pageFetch(`${gerbang}/userinfo`, { headers: { Authorization: `Bearer ${first.at}` } });
  expect(info.status === 200 && info.body.nip === nip, `userinfo from the page: ${JSON.stringify(info)}`);

  // Renewal with the refresh token: a new one each time.
  const renewed = await page.evaluate(async () => {
    const u = await window.mgr.signinSilent();
    return { rt: u.refresh_token, at: u.access_token };
  });
  expect(renewed.rt && renewed.rt !== first.rt, 'renewal rotated the refresh token');
  const info2 = await pageFetch(`${gerbang}/userinfo`, { headers: { Authorization: `Bearer ${renewed.at}` } });
  expect(info2.status === 200, 'the renewed access token works');

  // A page of an origin nobody registered cannot read Gerbang's answers, even with a live
  // access token in hand.
  await page.goto(`${elsewhere}/index.html`);
  const discovery = await pageFetch(`${gerbang}/.well-known/openid-configuration`, {});
  expect(!!discovery.blocked, `discovery blocked for another origin: ${JSON.stringify(discovery)}`);
  const stolen = await pageFetch(`${gerbang}/userinfo`, { headers: { Authorization: `Bearer ${renewed.at}` } });
  expect(!!stolen.blocked, `userinfo blocked for another origin: ${JSON.stringify(stolen)}`);
  await shot('elsewhere-blocked');
  await page.goto(`${spa}/index.html`);
  // The spent token is refused (the app can read why), and the replay revoked the grant:
  // the renewed token no longer renews.
  const replay = await pageFetch(`${gerbang}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: first.rt }).toString(),
  });
  expect(replay.status === 400 && replay.body.error === 'invalid_grant', `old refresh token refused: ${JSON.stringify(replay)}`);
  const again = await page.evaluate(async () => {
    try { await window.mgr.signinSilent(); return 'renewed'; } catch (e) { return String(e.error || e.message); }
  });
  expect(again === 'invalid_grant', `the replay revoked the grant (${again})`);
  await shot('spa-renewed');

  // Sign out (tokens revoked at /revoke from the page, then Gerbang's logout).
  // The page is already at index.html: wait for the next arrival there, through Gerbang.
  const visited = [];
  page.on('request', (r) => visited.push(r.url()));
  const back = page.waitForEvent('framenavigated', (f) => f === page.mainFrame() && f.url().startsWith(`${spa}/index.html`));
  await page.evaluate(() => { window.mgr.signoutRedirect(); });
  await back;
  expect(visited.some((u) => u.startsWith(`${gerbang}/revoke`)), 'the app revoked its tokens at /revoke');
  expect(visited.some((u) => u.startsWith(`${gerbang}/logout`)), 'the app signed out at Gerbang');
  await shot('spa-signed-out');
  // Gerbang's session ended: signing in again asks for the password.
  await page.evaluate(() => { window.mgr.signinRedirect(); });
  await page.waitForURL(`${gerbang}/login**`);
  await shot('spa-login-again');

});
