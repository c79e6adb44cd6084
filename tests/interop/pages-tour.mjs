// Every page, once, at the size and language of the run: login, the OTP step, enrolment (with
// its otpauth link), the recovery codes (first device and from the account, and as printed),
// the launcher (a person's and staff's), the account page and its sections, a confirmation
// page, "add device", sign-out, the reset page, the locked and disabled answers, an error page with its
// request id, and the helpdesk console (step-up, search, a person, a locked person, audit).
// Each page: checkPage(), headings in order and sized in order, a visible focus ring of at
// least 3:1 on a focused button, and no axe-core (WCAG 2 A/AA) violations. Screenshots in SHOTS.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import {
  env, gerbang, lang, phone, page, context, shot, help, expect, expectCount, checkPage, answerCaptcha, run,
} from './lib.mjs';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const en = lang === 'en';
const q = en ? '?lang=en' : '';

// One h1; levels never skip going down (h1 → h3); each level smaller than the one above.
async function checkHeadings() {
  const hs = await page.evaluate(() => [...document.querySelectorAll('h1,h2,h3,h4')].map((h) => ({
    level: Number(h.tagName[1]),
    size: parseFloat(getComputedStyle(h).fontSize),
    text: h.textContent.trim(),
  })));
  expect(hs.filter((h) => h.level === 1).length === 1, `one h1 (${JSON.stringify(hs)})`);
  let prev = 0;
  const sizes = {};
  for (const h of hs) {
    expect(h.level <= prev + 1, `heading "${h.text}" (h${h.level}) skips a level`);
    prev = h.level;
    sizes[h.level] = h.size;
  }
  for (const l of [2, 3, 4]) {
    if (sizes[l] && sizes[l - 1]) expect(sizes[l] < sizes[l - 1], `h${l} smaller than h${l - 1}`);
  }
}

// Relative luminance contrast of two CSS rgb() colours.
function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
  return (x + 0.05) / (y + 0.05);
}

// Tab to the first visible submit button (keyboard focus, as a keyboard user gets it) and
// measure its ring against what is behind it.
async function checkFocusRing() {
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  let ring = null;
  for (let i = 0; i < 40 && !ring; i++) {
    await page.keyboard.press('Tab');
    ring = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el.tagName !== 'BUTTON') return null;
      const s = getComputedStyle(el);
      let bg = 'rgb(255, 255, 255)';
      for (let p = el.parentElement; p; p = p.parentElement) {
        const c = getComputedStyle(p).backgroundColor;
        if (c && c !== 'transparent' && !c.startsWith('rgba(0, 0, 0, 0')) { bg = c; break; }
      }
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, bg };
    });
  }
  if (!ring) return; // a page without a button (the locked answer, say)
  expect(ring.style !== 'none' && ring.width >= 2, `a focus ring (${JSON.stringify(ring)})`);
  const c = contrast(ring.color, ring.bg);
  expect(c >= 3, `focus ring contrast ${c.toFixed(2)} >= 3 (${JSON.stringify(ring)})`);
}

async function checkAxe() {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found.length === 0, `no axe violations: ${found.join(' | ')}`);
}

const visited = [];
async function visit(name) {
  await page.waitForLoadState('load');
  await checkPage();
  await checkHeadings();
  await checkAxe();
  await shot(name);
  await checkFocusRing();
  visited.push(name);
}

// Enrolment: the QR first; the otpauth:// button (it opens an app on the device showing the
// page) offered on a phone only, below the QR and a full-size target.
async function checkQrFirst() {
  const qrFirst = await page.evaluate(() => Boolean(document.querySelector('img.qr')
    .compareDocumentPosition(document.getElementById('open-app')) & Node.DOCUMENT_POSITION_FOLLOWING));
  expect(qrFirst, 'the QR before the app button');
  expect(await page.isVisible('img.qr'), 'the QR shown');
  const app = await page.isVisible('#open-app');
  if (!phone) {
    expect(!app, 'no app button on a computer');
    return;
  }
  expect(app, 'the app button on a phone');
  const [qr, button] = [await page.locator('img.qr').boundingBox(), await page.locator('#open-app').boundingBox()];
  expect(qr.y + qr.height <= button.y, 'the app button below the QR');
  expect(button.height >= 44 && button.width >= 44, `the app button a full target (${button.width}×${button.height})`);
}

async function signIn(nip, otp) {
  await page.goto(`${gerbang}/login${q}`);
  await page.fill('#nip', nip);
  await page.fill('#password', env('PASSWORD'));
  if (otp) await page.fill('#otp', otp);
  if (await page.locator('input[name="captcha_id"]').count()) await answerCaptcha();
  await page.click('form[action="/login"] button[type="submit"]');
  await page.waitForLoadState('load');
}

// Issue 25: "show password" beside the field `id`: a button in the page's language that
// shows what was typed and hides it again, its state in aria-pressed.
async function checkReveal(id) {
  const button = `button.reveal[aria-controls="${id}"]`;
  await expectCount(button, 1, `a show-password button beside #${id}`);
  expect((await page.textContent(button)).trim() === (en ? 'Show' : 'Tampilkan'), `its word in ${lang}`);
  expect(await page.getAttribute(button, 'aria-pressed') === 'false', 'hidden at first');
  await page.fill(`#${id}`, 'Rahasia#Saya2026');
  await page.click(button);
  expect(await page.getAttribute(`#${id}`, 'type') === 'text', 'shown after a tap');
  // Shown as text, the password is still no text to spell-check (Chrome's enhanced spell
  // check and editor extensions send such text away), correct or capitalize.
  expect(await page.getAttribute(`#${id}`, 'spellcheck') === 'false', 'no spell check while shown');
  expect(await page.getAttribute(`#${id}`, 'autocapitalize') === 'off', 'no capitals added while shown');
  expect(await page.getAttribute(`#${id}`, 'autocorrect') === 'off', 'no corrections while shown');
  expect(await page.getAttribute(button, 'aria-pressed') === 'true', 'pressed');
  expect(await page.inputValue(`#${id}`) === 'Rahasia#Saya2026', 'what was typed is kept');
  await shot(`${id}-shown`);
  await page.click(button);
  expect(await page.getAttribute(`#${id}`, 'type') === 'password', 'hidden after a second tap');
  expect(await page.getAttribute(button, 'aria-pressed') === 'false', 'not pressed');
  await page.fill(`#${id}`, '');
}

async function person() {
  const nip = env('NIP');
  await page.goto(`${gerbang}/login${q}`);
  await visit('login');
  await checkReveal('password');
  // The OTP as a second step.
  await signIn(nip, null);
  expect(await page.locator('form[action="/login/otp"]').count() === 1, 'the OTP step');
  await visit('otp');
  await page.fill('#otp', await help(`/otp/${nip}`));
  await page.click('form[action="/login/otp"] button[type="submit"]');
  await page.waitForLoadState('load');
  await page.goto(`${gerbang}/`);
  expect(await page.locator('#to-account').count() === 1, 'the account on the launcher');
  expect(await page.locator('#to-helpdesk').count() === 0, 'no console link for a non-staff person');
  await visit('launcher');
  await page.goto(`${gerbang}/account`);
  for (const s of ['#devices-section', '#password-section', '#recovery-section', '#sessions-section', '#services-section', '#activity-section']) {
    expect(await page.locator(s).count() === 1, `account section ${s}`);
  }
  expect(await page.locator('#to-launcher').count() === 1, 'a way back to the launcher');
  const activity = await page.textContent('#activity');
  expect(!activity.includes('login_success'), 'activity in words');
  await visit('account');
  // The change-password form: show-password, and the reset page's live checklist.
  await checkReveal('current_password');
  await page.fill('#password', 'abc');
  await expectCount('#password-rules li[data-rule="lower"].ok', 1, 'a lower-case letter is ticked as typed');
  await expectCount('#password-rules li[data-rule="upper"]:not(.ok)', 1, 'no capital yet');
  await page.fill('#password', 'Abc1');
  await expectCount('#password-rules li[data-rule="upper"].ok', 1, 'the capital ticked live');
  await expectCount('#password-rules li[data-rule="digit"].ok', 1, 'the digit ticked live');
  await expectCount('#password-rules li[data-rule="length"].fail', 1, 'too short, marked');
  await shot('account-checklist-live');
  // A password that breaks the rules: the answer to the POST is the account page with the
  // error, and its language switch leads to /account by GET (it once led to the POST-only
  // /account/password: a 405), in the other language; and back.
  await page.fill('#current_password', env('PASSWORD'));
  await page.fill('#pw-otp', await help(`/otp/${nip}`));
  await page.fill('#password', 'pendek');
  await page.fill('#password_confirm', 'pendek');
  await page.click('form[action="/account/password"] button[type="submit"]');
  await page.waitForSelector('#account-error');
  expect(new URL(page.url()).pathname === '/account/password', 'the error answers the POST');
  // Issue 25: the error is in the password form, focused and on the screen (not far above
  // at the top of the page), each broken rule on its own line.
  let where = null;
  for (let i = 0; i < 50; i++) {
    where = await page.evaluate(() => {
      const e = document.getElementById('account-error');
      const r = e.getBoundingClientRect();
      return {
        focused: document.activeElement === e,
        inView: r.top >= 0 && r.top < window.innerHeight,
        form: e.closest('form')?.getAttribute('action'),
        rules: e.querySelectorAll('li').length,
      };
    });
    if (where.focused) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(where.focused, `the error is focused (${JSON.stringify(where)})`);
  expect(where.inView, `the error is in view (${JSON.stringify(where)})`);
  expect(where.form === '/account/password', `the error is in the password form (${JSON.stringify(where)})`);
  expect(where.rules >= 3, `each broken rule on its own line (${JSON.stringify(where)})`);
  await shot('account-password-error-in-view');
  await visit('account-password-error');
  const other = en ? 'id' : 'en';
  const [switched] = await Promise.all([page.waitForNavigation(), page.click('header a.lang')]);
  expect(switched.status() === 200, `the switch after the error answers ${switched.status()}`);
  expect(new URL(page.url()).pathname === '/account', `the switch leads to /account (${page.url()})`);
  expect((await page.getAttribute('html', 'lang')) === other, `the account page in ${other}`);
  expect(await page.locator('#password-section').count() === 1, 'the password form is there');
  await shot('account-password-error-switched');
  await Promise.all([page.waitForNavigation(), page.click('header a.lang')]);
  expect((await page.getAttribute('html', 'lang')) === lang, `back in ${lang}`);
  // A confirmation page, then cancel.
  await page.click('form[action="/account/confirm"] button[type="submit"] >> nth=0');
  await page.waitForSelector('#confirm');
  expect(await page.locator('input[name="confirm"][value="yes"]').count() === 1, 'the confirmation');
  await visit('confirm-end-session');
  await page.click('#cancel');
  await page.waitForSelector('#devices-section');
  // New recovery codes: downloadable, printable.
  await page.fill('#rc-otp', await help(`/otp/${nip}`));
  await page.check('form[action="/account/recovery"] input[name="confirm"]');
  await page.click('form[action="/account/recovery"] button[type="submit"]');
  await page.waitForSelector('#recovery-codes');
  expect(/\/account\/recovery\/codes\?t=[\w-]{40,}$/.test(page.url()), 'codes shown by a GET (PRG), behind their link');
  expect(await page.locator('#download-codes').count() === 1, 'a download link');
  const token = new URL(page.url()).searchParams.get('t');
  expect((await page.getAttribute('#download-codes', 'href')) === `/account/recovery/download?t=${token}`, 'the download carries the same token');
  await page.waitForSelector('#print-codes:not([hidden])');
  await visit('recovery-codes-account');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-codes')]);
  expect(download.suggestedFilename() === 'gerbang-recovery-codes.txt', 'the codes as a text file');
  await page.emulateMedia({ media: 'print' });
  expect(!(await page.isVisible('#download-codes')), 'the print shows the codes only');
  await shot('recovery-codes-print');
  await page.emulateMedia({ media: 'screen' });
  // Add a device: its own heading, the app link, a cancel.
  await page.goto(`${gerbang}/mfa/enrol`);
  expect((await page.getAttribute('#open-app', 'href')).startsWith('otpauth://totp/'), 'the otpauth link');
  expect(await page.locator('#cancel').count() === 1, 'a cancel');
  await checkQrFirst();
  await visit('add-device');
  await page.click('#cancel');
  await page.waitForSelector('#devices-section');
  // A bare client_id is a link anyone can make: it names no service as asking.
  await page.goto(`${gerbang}/logout?client_id=${env('CLIENT_ID')}`);
  expect(await page.locator('#logout-service').count() === 0, 'no service named for a bare client_id');
  // A service holding this person's ID token asks for the sign-out: the page names it, and
  // Cancel signs nobody out but leads back (no return address asked for: the launcher).
  await page.goto(`${gerbang}/logout?id_token_hint=${encodeURIComponent(env('LOGOUT_HINT'))}`);
  expect((await page.textContent('#logout-service')).includes(env('SERVICE_NAME')), 'the service named');
  expect((await page.textContent('#logout-cancel')).trim() === (en ? 'Cancel' : 'Batal'), 'a Cancel');
  await visit('logout-confirm');
  await page.click('#logout-cancel');
  await page.waitForSelector('#to-account');
  expect(new URL(page.url()).pathname === '/', 'Cancel leads to the launcher, still signed in');
  // Sign out from the launcher.
  await page.goto(`${gerbang}/`);
  await page.click('form[action="/logout"] button[type="submit"]');
  await page.waitForLoadState('load');
  await visit('logout');
}

async function newcomer() {
  await context.clearCookies();
  await signIn(env('NEWBIE_NIP'), null);
  await page.waitForSelector('#totp-secret');
  const link = await page.getAttribute('#open-app', 'href');
  expect(link.startsWith('otpauth://totp/'), 'the otpauth link');
  expect(await page.locator('#cancel').count() === 0, 'a forced enrolment has no cancel');
  await checkQrFirst();
  await visit('enrol');
  const secret = await page.getAttribute('#totp-secret', 'data-totp-secret');
  await page.fill('#device_name', 'HP Android');
  await page.fill('#otp', await help(`/totp/${secret}`));
  await page.click('form[action="/mfa/enrol"] button[type="submit"]');
  await page.waitForSelector('#recovery-codes');
  expect(await page.locator('#download-codes').count() === 1, 'a download link');
  await visit('recovery-codes-first');
}

async function refusals() {
  await context.clearCookies();
  // The activation / forgotten-password page: a newcomer's first tab.
  await page.goto(`${gerbang}/reset${q}`);
  await visit('reset');
  await signIn(env('LOCKED_NIP'), await help(`/otp/${env('LOCKED_NIP')}`));
  await visit('locked');
  await context.clearCookies();
  await signIn(env('DISABLED_NIP'), await help(`/otp/${env('DISABLED_NIP')}`));
  await visit('disabled');
  await page.goto(`${gerbang}/no-such-page${q}`);
  const id = (await page.textContent('#request-id')).trim();
  expect(id.length >= 8, 'the request id to quote');
  await visit('error');
}

async function staff() {
  const nip = env('STAFF_NIP');
  await context.clearCookies();
  await signIn(nip, await help(`/otp/${nip}`));
  await page.goto(`${gerbang}/`);
  expect(await page.locator('#to-helpdesk').count() === 1, 'the console on the launcher for staff');
  await visit('launcher-staff');
  await page.click('#to-helpdesk');
  await page.waitForSelector('form[action="/helpdesk"] #nip');
  await visit('helpdesk');
  await page.fill('form[action="/helpdesk"] #nip', env('NIP'));
  await page.click('form[action="/helpdesk"] button[type="submit"] >> nth=0');
  await page.waitForSelector('#person');
  const options = await page.$$eval('#action option', (os) => os.map((o) => o.value));
  expect(!options.includes('unlock') && options.includes('reset_mfa'), `applicable actions (${options})`);
  expect(await page.locator('#action-form #new_email').count() === 0, 'no e-mail field beside other actions');
  expect((await page.textContent('#agency')).includes('BKPSDM Kota Contoh'), 'the agency by name');
  await visit('helpdesk-person');
  await page.goto(`${gerbang}/helpdesk?nip=${env('LOCKED_NIP')}`);
  const locked = await page.$$eval('#action option', (os) => os.map((o) => o.value));
  expect(locked.includes('unlock'), `Unlock offered for a locked person (${locked})`);
  await visit('helpdesk-person-locked');
  await page.goto(`${gerbang}/helpdesk/audit`);
  await visit('helpdesk-audit');
  // The step-up, 16 minutes later: the person searched is kept.
  await help('/advance/960');
  await page.goto(`${gerbang}/helpdesk?nip=${env('NIP')}`);
  await page.waitForSelector('form[action="/helpdesk/step-up"]');
  await visit('helpdesk-step-up');
  await page.fill('form[action="/helpdesk/step-up"] #otp', await help(`/otp/${nip}`));
  await page.click('form[action="/helpdesk/step-up"] button[type="submit"]');
  await page.waitForSelector('#person');
  expect(page.url().includes(`nip=${env('NIP')}`), 'the person kept after the step-up');
}

await run(async () => {
  await person();
  await newcomer();
  await refusals();
  await staff();
  console.error(`visited: ${visited.join(', ')}`);
});
