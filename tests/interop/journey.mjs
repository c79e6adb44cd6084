// The browser journey of a newly imported civil servant, in headless Chromium driven by
// Playwright (playwright-core + Debian's /usr/bin/chromium): reset with captcha → e-mailed
// code → new password → MFA enrolment → the first service → a second service without a
// prompt → sign out everywhere. JOURNEY=helpdesk instead walks a helpdesk MFA reset.
// Screenshots of every step go to SHOTS. The Rust test (tests/it/e2e.rs) provides the
// server, the SMTP sink and a HELPER endpoint that reads captcha answers, mail and OTPs
// from the test's side (the server itself never exposes them).
import fs from 'node:fs';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const gerbang = env('GERBANG');
const helper = env('HELPER');
const lang = env('LANG_CODE');
const shots = env('SHOTS');
const phone = env('VIEWPORT') === 'phone';
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
const context = await browser.newContext({
  viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  isMobile: phone,
  hasTouch: phone,
  locale: 'id-ID',
});
const page = await context.newPage();
let n = 0;
const steps = [];
async function shot(name) {
  n += 1;
  const file = `${shots}/${String(n).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  steps.push(name);
}
async function help(path) {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${helper}${path}`);
    if (res.ok) return res.text();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`helper ${path} had nothing`);
}
function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what} (at ${page.url()})`);
}
// What a page script (password.js) shows after typing: it runs once the script has loaded,
// which on a loaded machine can be after the fill returns, so the count is awaited (5 s).
async function expectCount(selector, n, what) {
  for (let i = 0; i < 50; i++) {
    if ((await page.locator(selector).count()) === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(false, what);
}
// Every Gerbang page: in the chosen language, with the language switch, and no page wider
// than the screen (nothing to scroll sideways on a 360-px phone).
async function checkPage() {
  if (!page.url().startsWith(gerbang)) return;
  expect((await page.getAttribute('html', 'lang')) === lang, `page in ${lang}`);
  expect(await page.locator('header a.lang').count() === 1, 'a language switch');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  // No inline script anywhere (the CSP forbids it; this keeps templates honest).
  expect(await page.locator('script:not([src])').count() === 0, 'no inline script');
  // Every visible field has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select')]
    .filter((i) => !(i.labels && i.labels.length)).map((i) => i.name));
  expect(unlabelled.length === 0, `labels for ${unlabelled}`);
  if (process.env.AGENCY) {
    expect((await page.textContent('header .agency')) === process.env.AGENCY, 'the agency in the header');
  }
}
function totp(secretB32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}
async function answerCaptcha() {
  const id = await page.inputValue('input[name="captcha_id"]');
  await page.fill('#captcha', await help(`/captcha/${id}`));
}

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
  await page.click('a[href="/reset"]');
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

const started = Date.now();
try {
  if (process.env.JOURNEY === 'helpdesk') await helpdeskJourney();
  else await userJourney();
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
console.log(JSON.stringify({ steps, ms: Date.now() - started }));
