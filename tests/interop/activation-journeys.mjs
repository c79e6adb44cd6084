// Journeys that must not lose their way (issue 18): a first access started at a service ends
// at that service, and the language switch keeps the page mid-sign-in, mid-reset, on the
// first recovery codes (issue 25) and in the helpdesk console. JOURNEY=service (default) or JOURNEY=helpdesk. The Rust side is
// tests/it/e2e_activation.rs; HELPER answers captchas, mailed codes and staff OTPs.
import {
  env, gerbang, lang, phone, page, shot, help, expect, checkPage, totp, answerCaptcha, run,
} from './lib.mjs';

const other = lang === 'en' ? 'id' : 'en';

// Clicks the language switch and waits for the page in `to`.
async function switchTo(to) {
  await Promise.all([page.waitForURL(new RegExp(`[?&]lang=${to}(&|$)`)), page.click('header a.lang')]);
  expect((await page.getAttribute('html', 'lang')) === to, `the page in ${to}`);
}

// Over to the other language and back: the address keeps every parameter but lang.
async function switchAndBack(name, check) {
  const before = new URL(page.url());
  await switchTo(other);
  const after = new URL(page.url());
  expect(after.pathname === before.pathname, `${name}: same path after the switch`);
  for (const [k, v] of before.searchParams) {
    if (k !== 'lang') expect(after.searchParams.get(k) === v, `${name}: ${k} kept by the switch`);
  }
  await check();
  await shot(`${name}-${other}`);
  await switchTo(lang);
  await check();
}

async function serviceJourney() {
  const nip = env('NIP');
  const email = env('EMAIL');
  const demo = env('DEMO1');
  const password = env('PASSWORD');
  await page.goto(demo);
  expect(page.url().startsWith(`${gerbang}/login?req=`), 'the service sends people to Gerbang');
  const req = new URL(page.url()).searchParams.get('req');
  // The switch is the first stop of the keyboard: before the form's own autofocus.
  expect(await page.evaluate(() => {
    const f = [...document.querySelectorAll('a[href], input:not([type=hidden]), button')];
    return f[0] && f[0].matches('header a.lang');
  }), 'the language switch first in the tab order');
  // Mid-sign-in: the switch keeps the service's request.
  if (lang === 'en') await switchTo('en');
  else await switchAndBack('login', async () => {});
  expect(new URL(page.url()).searchParams.get('req') === req, 'the request kept');
  expect(await page.locator('p.for strong').count() === 1, 'to continue to the service');
  await checkPage();
  await shot('login');
  // First access: "forgot password / not activated yet".
  await page.click('a#forgot');
  await checkPage();
  expect(await page.locator('#continues-to').count() === 1, 'the reset names the service');
  await page.fill('#nip', nip);
  await page.fill('#email', email);
  await answerCaptcha();
  await page.click('form[action="/reset"] button[type="submit"]');
  await page.waitForSelector('#reset-sent');
  await checkPage();
  // No code came: a new one, or the sign-in form, each for the NIP and the service.
  for (const id of ['new-code', 'to-login']) {
    const to = new URL(await page.getAttribute(`#${id}`, 'href'), gerbang);
    expect(to.searchParams.get('req') === req && to.searchParams.get('nip') === nip, `#${id} keeps NIP and service`);
  }
  await shot('reset-sent');
  // The e-mailed link, opened in this browser.
  const code = await help(`/mail/${encodeURIComponent(email)}`);
  await page.goto(`${gerbang}/reset/confirm?nip=${nip}&code=${code}`);
  await checkPage();
  // Mid-reset: the switch keeps NIP and code.
  await switchAndBack('new-password', async () => {
    expect((await page.inputValue('#nip')) === nip, 'NIP kept');
    expect((await page.inputValue('#code')) === code, 'code kept');
  });
  expect(await page.locator('#continues-to').count() === 1, 'the new-password page names the service');
  // Two different passwords: said on the first submit, before anything is sent.
  await page.fill('#password', password);
  await page.fill('#password_confirm', `${password}x`);
  await page.click('form[action="/reset/confirm"] button[type="submit"]');
  await page.waitForSelector('#mismatch-error:not([hidden])');
  expect(page.url().includes('code='), 'still on the page: nothing was sent');
  expect(await page.locator('li[data-rule="match"].fail').count() === 1, 'the match row marked');
  await checkPage();
  await shot('mismatch');
  await page.fill('#password_confirm', password);
  await page.click('form[action="/reset/confirm"] button[type="submit"]');
  await page.waitForURL(/\/login\?done=reset/);
  await checkPage();
  // The login form continues to the service, with the NIP filled in.
  expect(new URL(page.url()).searchParams.get('req') === req, 'the request carried through the reset');
  expect(await page.locator('p.for strong').count() === 1, 'to continue to the service, after the reset');
  expect((await page.inputValue('#nip')) === nip, 'the NIP filled in');
  await shot('password-set');
  await page.fill('#password', password);
  await page.click('form[action="/login"] button[type="submit"]');
  await page.waitForSelector('#totp-secret');
  await checkPage();
  expect(await page.locator('#continues-to').count() === 1, 'the enrolment names the service');
  // A wrong turn: no device name. The error is beside the fields, focused and in view.
  await page.fill('#otp', '123456');
  await Promise.all([page.waitForLoadState('load'), page.click('form[action="/mfa/enrol"] button[type="submit"]')]);
  await page.waitForSelector('#enrol-error');
  expect(await page.evaluate(() => {
    const e = document.getElementById('enrol-error');
    const r = e.getBoundingClientRect();
    return document.activeElement === e && e.closest('form') !== null && r.top >= 0 && r.bottom <= window.innerHeight;
  }), 'the enrolment error focused, in its form and in view');
  await checkPage();
  await shot('enrol-error');
  const secret = await page.getAttribute('#totp-secret', 'data-totp-secret');
  await page.fill('#otp', totp(secret));
  await page.fill('#device_name', phone ? 'HP Android' : 'Laptop kantor');
  await page.click('form[action="/mfa/enrol"] button[type="submit"]');
  await page.waitForSelector('#recovery-codes');
  await checkPage();
  await shot('recovery-codes');
  // The switch shows the same codes in the other language (issue 25), through their own
  // link: no code in the address; and back, and "continue" still goes to the service.
  const shownCodes = () => page.$$eval('#recovery-codes code', (cs) => cs.map((c) => c.textContent));
  const codes = await shownCodes();
  expect(codes.length === 10, `ten recovery codes (${codes.length})`);
  await switchTo(other);
  expect(new URL(page.url()).pathname === '/mfa/recovery', `the codes again (${page.url()})`);
  expect(!codes.some((c) => page.url().includes(c)), 'no code in the address');
  expect(JSON.stringify(await shownCodes()) === JSON.stringify(codes), `the same codes in ${other}`);
  expect(await page.locator('a[href="/mfa/continue"]').count() === 1, `continue offered in ${other}`);
  await shot(`recovery-codes-${other}`);
  await switchTo(lang);
  expect(JSON.stringify(await shownCodes()) === JSON.stringify(codes), `the same codes in ${lang}`);
  await checkPage();
  await page.click('a[href="/mfa/continue"]');
  await page.waitForSelector('#who');
  expect(page.url().startsWith(demo), 'the activation ends at the service it started from');
  expect((await page.textContent('#who')).includes(nip), 'the service knows the person');
  await shot('service');
}

async function helpdeskJourney() {
  const staff = env('STAFF_NIP');
  const target = env('NIP');
  // Staff sign in as the console asks (password and code), then step up with a fresh code.
  await page.goto(`${gerbang}/helpdesk`);
  await page.waitForSelector('#nip');
  await page.fill('#nip', staff);
  await page.fill('#password', env('PASSWORD'));
  await page.fill('#otp', await help(`/otp/${staff}`));
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
  await shot('person');
  // The switch keeps the person on screen.
  await switchAndBack('person', async () => {
    expect(await page.locator('#person').count() === 1, 'the person still shown');
    expect((await page.textContent('#person')).includes(target), 'the same person');
  });
  await checkPage();
}

await run(async () => {
  if (process.env.JOURNEY === 'helpdesk') await helpdeskJourney();
  else await serviceJourney();
});
