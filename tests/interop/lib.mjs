// Shared by every browser script (journey.mjs and the scenario scripts beside it): a
// Chromium page in the chosen language and size, screenshots, the test's HELPER endpoint
// (captcha answers, mailed codes, staff OTPs read from the test's side), page checks and TOTP.
import fs from 'node:fs';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';

export const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
export const gerbang = env('GERBANG');
export const helper = env('HELPER');
export const lang = env('LANG_CODE');
export const shots = env('SHOTS');
export const phone = env('VIEWPORT') === 'phone';
fs.mkdirSync(shots, { recursive: true });

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
});
export const context = await browser.newContext({
  viewport: phone ? { width: 360, height: 740 } : { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  isMobile: phone,
  hasTouch: phone,
  locale: 'id-ID',
});
export const page = await context.newPage();
let n = 0;
export const steps = [];
export async function shot(name) {
  n += 1;
  const file = `${shots}/${String(n).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  steps.push(name);
}
export async function help(path) {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${helper}${path}`);
    if (res.ok) return res.text();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`helper ${path} had nothing`);
}
export function expect(cond, what) {
  if (!cond) throw new Error(`expected: ${what} (at ${page.url()})`);
}
// What a page script (password.js) shows after typing: it runs once the script has loaded,
// which on a loaded machine can be after the fill returns, so the count is awaited (5 s).
export async function expectCount(selector, n, what) {
  for (let i = 0; i < 50; i++) {
    if ((await page.locator(selector).count()) === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(false, what);
}
// Every Gerbang page: in the chosen language, with the language switch, and no page wider
// than the screen (nothing to scroll sideways on a 360-px phone).
export async function checkPage() {
  if (!page.url().startsWith(gerbang)) return;
  expect((await page.getAttribute('html', 'lang')) === lang, `page in ${lang}`);
  expect(await page.locator('header a.lang').count() === 1, 'a language switch');
  // The tab's title is plain text: a tag in a template's title block shows in every tab.
  const title = await page.evaluate(() => document.querySelector('head > title')?.textContent ?? '');
  expect(title.trim() !== '' && !/[<>]/.test(title), `a plain-text title (${JSON.stringify(title)})`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow <= 0, `no sideways scrolling (${overflow}px)`);
  // No inline script anywhere (the CSP forbids it; this keeps templates honest).
  expect(await page.locator('script:not([src])').count() === 0, 'no inline script');
  // Every visible field has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select')]
    .filter((i) => !(i.labels && i.labels.length)).map((i) => i.name));
  expect(unlabelled.length === 0, `labels for ${unlabelled}`);
  // Tap targets (WCAG 2.5.5): every visible control (a <details>' summary too) at least
  // 44×44 CSS px — a checkbox or radio through its label, which is what a thumb hits — and
  // every stand-alone link: one in the header or a nav, or one whose block has no words but
  // links (a "·" between two links is not a sentence). A link inside running text is exempt,
  // as WCAG's inline exception says. A failure names the element, its size and the page.
  const small = await page.evaluate(() => {
    const shown = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    const blockOf = (e) => {
      let b = e.parentElement;
      while (b && getComputedStyle(b).display.startsWith('inline')) b = b.parentElement;
      return b;
    };
    // The words on the link's own lines: its block's inline text, without links and
    // without nested blocks (a hint under the link is not running text around it).
    const words = (n) => [...n.childNodes].map((c) => {
      if (c.nodeType === Node.TEXT_NODE) return c.textContent;
      if (c.nodeType !== Node.ELEMENT_NODE || c.tagName === 'A') return '';
      return getComputedStyle(c).display.startsWith('inline') ? words(c) : '';
    }).join('');
    const standAlone = (a) => {
      if (a.closest('header, nav')) return true;
      const b = blockOf(a);
      return !b || words(b).replace(/[\s·|,.:;()]/g, '') === '';
    };
    const targets = [];
    for (const e of document.querySelectorAll('input:not([type=hidden]), button, select, textarea, summary, a[href]')) {
      if (!shown(e)) continue;
      if (e.matches('input[type=checkbox], input[type=radio]')) targets.push([e, e.closest('label') ?? e.labels?.[0] ?? e]);
      else if (e.tagName !== 'A' || standAlone(e)) targets.push([e, e]);
    }
    return targets.map(([e, t]) => {
      const r = t.getBoundingClientRect();
      const name = `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.name ? `[name=${e.name}]` : ''}`
        + ` "${(e.textContent || e.value || '').trim().slice(0, 30)}"`;
      return { name, w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10 };
    }).filter((t) => t.w < 43.95 || t.h < 43.95).map((t) => `${t.name} ${t.w}×${t.h}`);
  });
  expect(small.length === 0, `tap targets of at least 44×44 px: ${small.join('; ')}`);
  if (process.env.AGENCY) {
    expect((await page.textContent('header .agency')) === process.env.AGENCY, 'the agency in the header');
  }
}
export function totp(secretB32) {
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
export async function answerCaptcha() {
  const id = await page.inputValue('input[name="captcha_id"]');
  await page.fill('#captcha', await help(`/captcha/${id}`));
}


// Runs a scenario: a failure leaves a screenshot and exit code 1; the steps go to stdout as
// JSON for the Rust test to read.
export async function run(scenario) {
  const started = Date.now();
  try {
    await scenario();
  } catch (e) {
    await shot('failure').catch(() => {});
    console.error(e);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ steps, ms: Date.now() - started }));
}
