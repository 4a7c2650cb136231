// What every part of the browser suite shares: the address of the demo, the browser, the
// counters, and the small steps (audit a page, check a condition, take a screenshot).
//
// `audit(page, label)` checks the page as it is now with axe-core and then, when the page is
// the comune's in Italian, the same document in English (its "twin", labelled "... (en)"): in a
// second browser context (one for each context, kept for its cache) given a copy of the
// context's cookies as they are at that moment (the same session) with `lang=en`, so the page
// under test and its context are left as they were. A document that came from a form (POST) is
// sent again only if it answered 4xx (a refused form, which changed nothing); one that answered
// 2xx is not twinned, nor is a page whose address does something when loaded (a login or logout
// step): those are listed at the end of the run. An English document identical to one already
// audited at the same size is counted, not audited again. The stand-ins of other services
// under /_mock/ (IdP, Checkout, App IO, mailbox) are Italian only: audited once.
// Every comune page audited is also handed to the hooks in `onAudit`: performance.mjs weighs
// its JavaScript and CSS, model.mjs checks it against the Designers Italia model.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

export const base = process.argv[2] || 'http://localhost:8080';
export const output = process.env.BROWSER_OUTPUT || new URL('../../target/browser', import.meta.url).pathname;
mkdirSync(output, { recursive: true });
// A failure's screenshot from an earlier run would pass for this run's.
for (const file of readdirSync(output)) {
  if (file.endsWith('-FAILED.png')) rmSync(join(output, file));
}

export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const origin = new URL(base).origin;

/**
 * What the run found; printed at the end by run.mjs. `checked` counts every axe check,
 * `italian` and `english` split it by language; `englishSame` counts the English twins that
 * were a document already audited; `untwinned` lists the pages audited in Italian only, with
 * the reason.
 */
export const stats = { checked: 0, italian: 0, english: 0, englishSame: 0, violations: 0, failures: 0, untwinned: [], model: 0 };

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // As root, and without the background connections this closed network refuses.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/** The main document each page shows now, as it was asked for: see `remember`. */
const documents = new WeakMap();

/**
 * Follows the main document of `page`: its address, method, form body and status, so that
 * audit can load the same document in English. A navigation's response comes before the frame
 * commits it; a navigation without one (back from the cache) is a GET; a change of hash or
 * history entry within the document keeps the document's request.
 */
function remember(page) {
  let pending = null;
  page.on('response', (response) => {
    const request = response.request();
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    if (response.status() >= 300 && response.status() < 400) return;
    pending = { url: response.url(), method: request.method(), status: response.status(), headers: request.headers(), body: request.postDataBuffer() };
  });
  page.on('framenavigated', (frame) => {
    if (frame !== page.mainFrame()) return;
    const url = frame.url();
    const current = documents.get(page);
    const withoutHash = (address) => address.split('#')[0];
    if (pending?.url === url) documents.set(page, pending);
    else if (!pending && current && withoutHash(current.url) === withoutHash(url)) documents.set(page, { ...current, url });
    else documents.set(page, { url, method: 'GET', status: 200 });
    pending = null;
  });
}

/** A fresh browser context in `lang` (the comune's `lang` cookie, as the language switch sets it). */
export async function context(lang, viewport, javaScriptEnabled = true) {
  const ctx = await browser.newContext({ viewport, javaScriptEnabled, locale: lang === 'en' ? 'en-GB' : 'it-IT' });
  await ctx.addCookies([{ name: 'lang', value: lang, domain: new URL(base).hostname, path: '/' }]);
  ctx.on('page', remember);
  return ctx;
}

/** The language the context of `page` asks the comune for (its `lang` cookie). */
async function askedLang(page) {
  const cookie = (await page.context().cookies(base)).find((c) => c.name === 'lang');
  return cookie?.value === 'en' ? 'en' : 'it';
}

/** axe-core on `page` as it is now; each violation is printed and counted. */
async function axe(page, label, exclude) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`axe timed out on ${label}`)), 60_000);
  });
  try {
    let builder = new AxeBuilder({ page }).withTags(TAGS);
    if (exclude) builder = builder.exclude(exclude);
    const result = await Promise.race([builder.analyze(), timeout]);
    stats.checked++;
    for (const v of result.violations) {
      stats.violations++;
      console.log(`  VIOLATION ${label} [${v.impact}] ${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Paths whose GET does something (a login or logout step, a language switch, a one-time link). */
const NOT_REPLAYED = [/\/saml\//, /\/lingua\//, /\/verifica-email/];

/** Hooks called with (page, label) for each comune page audited, before its English twin. */
export const onAudit = [];

/**
 * axe-core (WCAG 2.1 A/AA) on the page as it is now, then on its English twin (see the top of
 * this file); `<html lang>` is checked in both. Options (or just the `exclude` string):
 * - `exclude`: a selector axe leaves out (a sandboxed frame it cannot enter, audited apart);
 * - `english: false`: no twin (the journey audits the English page itself);
 * - `lang` / `twinLang`: the `<html lang>` expected, when not the one asked for.
 */
export async function audit(page, label, options = {}) {
  const { exclude, english = true, lang, twinLang = 'en' } = typeof options === 'string' ? { exclude: options } : options;
  const url = new URL(page.url());
  const comunePage = url.origin === origin && !url.pathname.startsWith('/_mock/');
  const asked = comunePage ? await askedLang(page) : 'it';
  // The stand-ins speak Italian (the IdP adds English alongside); a page set as content has no
  // address, and its language is its own.
  const expected = lang ?? (url.origin === origin ? asked : null);
  if (expected) await expectLang(page, expected, label);
  await axe(page, label, exclude);
  stats[asked === 'en' ? 'english' : 'italian']++;
  if (!comunePage) return;
  for (const hook of onAudit) await hook(page, label).catch((error) => fail(`${label}: ${error.message}`));
  if (english && asked === 'it') await auditTwin(page, label, { exclude, lang: twinLang });
}

/** Counts a page that stays audited in Italian only, and says why. */
function untwinned(label, reason) {
  stats.untwinned.push({ label, reason });
  console.log(`  not audited in English: ${label}: ${reason}`);
}

/** The English documents audited, by viewport, status, <details> opened and content. */
const twinsAudited = new Set();

/**
 * The same document as `page` shows, in English: asked for (or sent again) in the twins'
 * context, then shown on a page of its own, audited and closed. A document identical to one
 * already audited in English at the same size (the home page, signed out, that every journey
 * starts from) is counted, not audited again: a fresh load of the same HTML is the same page.
 */
async function auditTwin(page, label, { exclude, lang }) {
  const doc = documents.get(page) ?? { url: page.url(), method: 'GET', status: 200 };
  const address = doc.url.split('#')[0];
  const path = new URL(address).pathname;
  if (NOT_REPLAYED.some((pattern) => pattern.test(path))) return untwinned(label, `${path} is not loaded twice`);
  const replay = doc.method !== 'GET';
  if (replay && !(doc.status >= 400 && doc.status < 500)) return untwinned(label, `${doc.method} ${path} answered ${doc.status}, and might not be repeated safely`);
  if (replay && !doc.body) return untwinned(label, `the body of ${doc.method} ${path} is unknown`);

  const ctx = await twinContext(page);
  let answer;
  if (replay) {
    // The form sent again, with the same body and this context's cookies (lang=en).
    const headers = Object.fromEntries(Object.entries(doc.headers).filter(([name]) => ['content-type', 'origin', 'referer', 'accept'].includes(name)));
    answer = await ctx.request.fetch(address, { method: doc.method, headers, data: doc.body, maxRedirects: 0 });
    if (answer.status() !== doc.status) return untwinned(label, `${doc.method} ${path} sent again answered ${answer.status()}, not ${doc.status}`);
  } else {
    answer = await ctx.request.get(address, { maxRedirects: 0 });
    if (answer.status() !== doc.status) {
      // (a signed-in page that now asks to sign in, a page that moved: not the same document)
      return fail(`${label} (en): the English twin answered ${answer.status()}, not ${doc.status} as ${address} did`);
    }
  }
  // What the journey opened (a list in <details>) is opened in the twin too.
  const open = await page.locator('details').evaluateAll((all) => all.map((d) => d.open));
  const size = page.viewportSize();
  const key = createHash('sha256')
    .update(`${size?.width}x${size?.height} ${doc.status} ${open.join()}\n`)
    // (each form's token is the session's, not the page's)
    .update((await answer.text()).replace(/\b[0-9a-f]{64}\b/g, ''))
    .digest('hex');
  if (twinsAudited.has(key)) {
    stats.englishSame++;
    return;
  }

  const twin = await ctx.newPage();
  try {
    twin.setDefaultTimeout(20_000);
    let served = false;
    await twin.route((u) => !served && u.href === address, async (route) => {
      served = true;
      await route.fulfill({ response: answer });
    });
    await twin.goto(address, { waitUntil: 'load' });
    await twin.locator('details').evaluateAll((all, open) => all.forEach((d, i) => { if (open[i]) d.open = true; }), open);
    await expectLang(twin, lang, `${label} (en)`);
    await axe(twin, `${label} (en)`, exclude);
    stats.english++;
    twinsAudited.add(key);
    if (process.env.BROWSER_TWIN_SHOTS) await shot(twin, `en-${label.replace(/[^a-z0-9]+/gi, '-')}`);
  } finally {
    await twin.close();
  }
}

/** The twins' context of each context: kept while it lives, for its cache. */
const twinContexts = new WeakMap();

/** The twins' context of `page`'s context, with a copy of its cookies as they are now but lang=en. */
async function twinContext(page) {
  const original = page.context();
  let ctx = twinContexts.get(original);
  if (!ctx) {
    ctx = await browser.newContext({ viewport: page.viewportSize(), locale: 'en-GB' });
    twinContexts.set(original, ctx);
    original.on('close', () => ctx.close().catch(() => {}));
  }
  const cookies = (await original.cookies()).filter((c) => c.name !== 'lang');
  cookies.push({ name: 'lang', value: 'en', domain: new URL(base).hostname, path: '/', expires: -1, httpOnly: false, secure: false, sameSite: 'Lax' });
  await ctx.clearCookies();
  await ctx.addCookies(cookies);
  return ctx;
}

/** A failed expectation outside a journey (a journey throws with check instead). */
export function fail(message) {
  stats.failures++;
  console.log(`  FAIL ${message}`);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(output, `${name}.png`), fullPage: false });
}

/** Checks `<html lang>`; a wrong language is counted, not thrown. */
export async function expectLang(page, expected, label) {
  const htmlLang = await page.getAttribute('html', 'lang');
  if (htmlLang !== expected) fail(`${label}: <html lang="${htmlLang}">, expected ${expected}`);
}

/**
 * Runs `tasks` (async functions) in lanes: BROWSER_LANES at once (default 2, which keeps a
 * 2-core CI machine busy without starving the demo), each lane taking the next task.
 */
export async function inLanes(tasks, lanes = Math.max(1, Number(process.env.BROWSER_LANES) || 2)) {
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(lanes, tasks.length) }, lane));
}
