// A legacy portal (legacy.mjs: express-openid-connect, response_mode=form_post,
// front-channel logout) signs a person in through Gerbang's pages in Chromium, then the
// person signs out on Gerbang's launcher: the logout page frames the portal's front-channel
// URI, and the portal's own session is over afterwards. Driven by tests/it/e2e_modes.rs.
import { page, shot, help, expect, checkPage, run, gerbang, env } from './lib.mjs';

const legacy = env('LEGACY');
const nip = env('NIP');
const password = env('PASSWORD');

await run(async () => {
  await page.goto(`${legacy}/login`);
  await page.waitForURL(`${gerbang}/login?req=*`);
  await checkPage();
  await shot('legacy-login');
  await page.fill('#nip', nip);
  await page.fill('#password', password);
  await page.fill('#otp', await help(`/otp/${nip}`));
  // The answer comes back as Gerbang's form-post page, whose static script posts it to the
  // portal's /callback; the portal then shows its home page.
  await page.click('button[type=submit]');
  await page.waitForURL(`${legacy}/`);
  await page.waitForSelector('#who');
  expect((await page.textContent('#who')).includes('Siti Rahayu'), 'the portal got the person');
  await shot('legacy-signed-in');
  const me = await (await page.goto(`${legacy}/me`)).json();
  expect(me.user && me.user.preferred_username === nip, 'the portal has the NIP');

  // Sign out on Gerbang's launcher: the signed-out page frames the portal.
  await page.goto(`${gerbang}/`);
  await checkPage();
  await page.click('form[action="/logout"] button[type=submit]');
  await page.waitForSelector('body[data-frontchannel="done"]');
  await checkPage();
  await shot('gerbang-signed-out');
  const after = await (await page.goto(`${legacy}/me`)).json();
  expect(after.user === null, 'the portal session ended through the front channel');
  await page.goto(`${legacy}/`);
  expect((await page.textContent('#who')).includes('Belum masuk'), 'the portal shows no one');
  await shot('legacy-signed-out');

  // Again, and this time the portal's own "sign out" (RP-initiated, with its ID token):
  // Gerbang's page frames the portal, then its script continues to the portal's page.
  await page.goto(`${legacy}/login`);
  await page.waitForURL(`${gerbang}/login?req=*`);
  await page.fill('#nip', nip);
  await page.fill('#password', password);
  await page.fill('#otp', await help(`/otp/${nip}`));
  await page.click('button[type=submit]');
  await page.waitForURL(`${legacy}/`);
  await page.goto(`${legacy}/logout`);
  await page.waitForURL(`${legacy}/signed-out`);
  await shot('legacy-rp-logout-returned');
});
