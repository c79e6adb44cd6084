// The browser journey of a newly imported civil servant, in headless Chromium driven by
// Playwright (playwright-core + Debian's /usr/bin/chromium): reset with captcha → e-mailed
// code → new password → MFA enrolment → the first service → a second service without a
// prompt → sign out everywhere. JOURNEY=helpdesk instead walks a helpdesk MFA reset.
// Screenshots of every step go to SHOTS. The Rust test (tests/it/e2e.rs) provides the
// server, the SMTP sink and a HELPER endpoint that reads captcha answers, mail and OTPs
// from the test's side (the server itself never exposes them).
import {
  env, gerbang, lang, phone, page, shot, help, expect, expectCount, checkPage, totp, answerCaptcha, run,
} from './lib.mjs';

async function userJourney() {
  const nip = env('NIP');
  const demo1 = env('DEMO1');
  const demo2 = env('DEMO2');
  const password = env('PASSWORD');
  // A service sends the person to Gerbang.
  await page.goto(demo1);
  expect(page.url().startsWith(`${gerbang}/login`), 'the service sends people to Gerbang');
  if (lang === 'en') {
    await page.click('header a.lang');
    expect((await page.textContent('h1')).includes('Sign in'), 'English after the switch');
  }
  await checkPage();
  await shot('login');
  // First access: "forgot password" is the activation.
  await page.click('a#forgot');
  await checkPage();
  await page.fill('#nip', nip);
  await page.fill('#email', env('EMAIL'));
  await answerCaptcha();
  await shot('reset-filled');
  await page.click('form[action="/reset"] button[type="submit"]');
  await page.waitForSelector('#reset-sent');
  await checkPage();
  await shot('reset-sent');
  const code = await help(`/mail/${encodeURIComponent(env('EMAIL'))}`);
  await page.click(`a[href^="/reset/confirm"]`);
  await page.waitForLoadState('load');
  await page.fill('#code', code);
  // The checklist follows the typing (password.js): too short and no symbol, then all met.
  await page.fill('#password', 'abcDEF123');
  await expectCount('li[data-rule="length"].fail', 1, 'length not met yet');
  await expectCount('li[data-rule="upper"].ok', 1, 'upper case met');
  await expectCount('li[data-rule="symbol"].fail', 1, 'symbol not met yet');
  await page.fill('#password', password);
  await page.fill('#password_confirm', password);
  await expectCount('#password-rules li.ok', 6, 'every rule met, both fields match');
  await checkPage();
  await shot('new-password');
  await page.click('form[action="/reset/confirm"] button[type="submit"]');
  await page.waitForURL(/\/login\?done=reset/);
  await checkPage();
  await shot('password-set');
  // Sign in: no authenticator yet, so enrolment is forced.
  await page.fill('#nip', nip);
  await page.fill('#password', password);
  await page.click('form[action="/login"] button[type="submit"]');
  await page.waitForSelector('#totp-secret');
  await checkPage();
  await shot('mfa-enrol');
  const secret = await page.getAttribute('#totp-secret', 'data-totp-secret');
  await page.fill('#otp', totp(secret));
  await page.fill('#device_name', phone ? 'HP Android' : 'Laptop kantor');
  await page.click('form[action="/mfa/enrol"] button[type="submit"]');
  await page.waitForSelector('#recovery-codes');
  await checkPage();
  await shot('recovery-codes');
  await page.click('a[href="/mfa/continue"]');
  // Back at the service, or at the launcher from which the service opens without a prompt.
  if (!page.url().startsWith(demo1)) await page.goto(demo1);
  await page.waitForSelector('#who');
  expect((await page.textContent('#who')).includes(nip), 'the first service knows the person');
  await shot('service-1');
  await page.goto(demo2);
  await page.waitForSelector('#who');
  expect(page.url().startsWith(demo2), 'the second service opened without a prompt');
  await shot('service-2');
  // The launcher lists both services.
  await page.goto(`${gerbang}/`);
  await checkPage();
  expect(await page.locator('#services li').count() === 2, 'two services on the launcher');
  await shot('launcher');
  // Sign out at the first service: Gerbang and the second service end too.
  await page.goto(demo1);
  await page.click('#logout');
  await page.waitForSelector('#signed-out');
  await shot('signed-out');
  let prompted = false;
  for (let i = 0; i < 50 && !prompted; i++) {
    await page.goto(demo2);
    prompted = page.url().startsWith(`${gerbang}/login`);
    if (!prompted) await new Promise((r) => setTimeout(r, 200));
  }
  expect(prompted, 'the second service asks for sign-in again (back-channel logout)');
  await checkPage();
  await shot('service-2-signed-out');
}

async function helpdeskJourney() {
  const staff = env('STAFF_NIP');
  const target = env('NIP');
  await page.goto(`${gerbang}/helpdesk`);
  if (lang === 'en') await page.click('header a.lang');
  await page.waitForSelector('#nip');
  await page.fill('#nip', staff);
  await page.fill('#password', env('PASSWORD'));
  await page.fill('#otp', await help(`/otp/${staff}`));
  await checkPage();
  await shot('staff-login');
  await page.click('form[action="/login"] button[type="submit"]');
  if (!page.url().startsWith(`${gerbang}/helpdesk`)) await page.goto(`${gerbang}/helpdesk`);
  if (await page.locator('form[action="/helpdesk/step-up"]').count()) {
    await page.fill('#otp', await help(`/otp/${staff}`));
    await page.click('form[action="/helpdesk/step-up"] button[type="submit"]');
  }
  await page.fill('form[method="get"] #nip', target);
  await page.click('form[method="get"] button[type="submit"] >> nth=0');
  await page.waitForSelector('#person');
  await checkPage();
  expect(await page.locator('#devices li').count() === 1, 'the person has one device');
  await shot('person');
  await page.selectOption('#action', 'reset_mfa');
  await page.fill('#reason', 'HP hilang, dilaporkan via telepon');
  await page.check('input[name="confirm"]');
  await shot('reset-mfa-filled');
  await page.click('#person button[type="submit"]');
  await page.waitForSelector('#helpdesk-notice');
  await checkPage();
  await shot('reset-mfa-done');
}

await run(async () => {
  if (process.env.JOURNEY === 'helpdesk') await helpdeskJourney();
  else await userJourney();
});
