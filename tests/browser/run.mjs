// Sportello in a real browser: every page below is opened in Debian's Chromium, checked with
// axe-core against WCAG 2.1 A/AA, on a desktop and a phone viewport, and the journeys at the
// end are walked as a person would, from the comune's home page, with and without JavaScript.
// Every page a check or a journey audits in Italian is audited in English too (audit in
// lib.mjs loads its English twin), has its JavaScript and CSS held to a budget
// (performance.mjs) and is held to the Designers Italia model (model.mjs); at the end the
// Largest Contentful Paint of a few pages is measured (performance.mjs).
//
//   node run.mjs http://localhost:8080      (scripts/test starts the demo and calls this)
//
// In $BROWSER_OUTPUT (default ../../target/browser): screenshots of each journey step (and
// NAME-FAILED.png where a journey failed), performance.json and performance.md.
// Adding a page: append it to PAGES (and to PHONE_PAGES if its layout changes on a phone).
// Adding a journey: write an async function (page, prefix, viewport) that starts at the
// comune's home page and goes on by links and buttons, calling audit(page, label) on each page
// it reaches and shot(page, name) where a picture helps; add it to JOURNEYS. Journeys run in
// Italian; audit adds the English. Login journeys live in auth.mjs, with the steps to build
// them from: signIn, signOut, tabTo, ...; payment journeys in payments.mjs, notifications in
// notifications.mjs, the personal area's tour in personal-area.mjs, the permits in
// requests.mjs and the back office in office.mjs. What the parts share is in lib.mjs.
//
// BROWSER_ONLY=word runs only the journeys whose name contains it, and skips the page checks
// and the performance report unless the word is in "pages" or "performance" (so
// BROWSER_ONLY=pages runs the page checks alone, BROWSER_ONLY=performance the report).
// BROWSER_LANES=n runs n browser contexts at once (default 2; 1 runs everything in order).
// BROWSER_PERF_RUNS=n loads each page n times for the LCP medians (default 3).
// BROWSER_TWIN_SHOTS=1 also takes a screenshot of each English twin (en-LABEL.png).
import { base, output, browser, stats, context, audit, check, shot, fail, inLanes, VIEWPORTS } from './lib.mjs';
import { AUTH_JOURNEYS, auditAuthPages } from './auth.mjs';
import { PERSONAL_AREA_JOURNEYS } from './personal-area.mjs';
import { performanceReport } from './performance.mjs';
import './model.mjs';
import { PAYMENT_JOURNEYS } from './payments.mjs';
import { NOTIFICATION_JOURNEYS } from './notifications.mjs';
import { REQUEST_JOURNEYS } from './requests.mjs';
import { OFFICE_JOURNEYS } from './office.mjs';

const started = Date.now();
const only = process.env.BROWSER_ONLY;

const PAGES = [
  '/',
  '/borgoverde/',
  '/borgoverde/servizi',
  '/borgoverde/servizi?q=sosta',
  '/borgoverde/servizi/occupazione-suolo-pubblico',
  '/borgoverde/servizi/permesso-sosta-residenti',
  '/borgoverde/servizi/contrassegno-disabili',
  '/borgoverde/servizi/permesso-ztl',
  '/borgoverde/servizi/permesso-ztl/richiesta',
  '/borgoverde/area-personale/',
  '/borgoverde/pagamenti',
  '/borgoverde/pagamenti/ricarica-mensa',
  '/borgoverde/pagamenti/copie-atti',
  '/borgoverde/contatti',
  '/borgoverde/privacy',
  '/borgoverde/note-legali',
  '/valdoro/',
  '/valdoro/servizi',
  '/valdoro/servizi/occupazione-suolo-pubblico',
  '/valdoro/servizi/permesso-sosta-residenti',
  '/valdoro/servizi/contrassegno-disabili',
  '/valdoro/servizi/permesso-ztl',
  '/valdoro/servizi/mensa-scolastica',
  '/comune-inesistente/',
];

// On a phone the layout changes (collapsed menu, header buttons without text): these pages
// cover every template at that size.
const PHONE_PAGES = ['/borgoverde/', '/borgoverde/servizi', '/borgoverde/servizi/permesso-ztl', '/borgoverde/contatti', '/borgoverde/area-personale/'];

// The page checks, as tasks for the lanes (see inLanes in lib.mjs), longest first: in Italian,
// each page's English twin audited by audit.
const tasks = [];
const pageChecks = !only || 'pages'.includes(only);
const timings = !only || 'performance'.includes(only);
for (const [name, viewport] of pageChecks ? Object.entries(VIEWPORTS) : []) {
  tasks.push(async () => {
    const ctx = await context('it', viewport);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    try {
      for (const path of name === 'phone' ? PHONE_PAGES : PAGES) {
        await page.goto(base + path, { waitUntil: 'load' });
        // An unknown comune has no language of its own to offer: Italian in both.
        const twinLang = path.startsWith('/comune-inesistente') ? 'it' : 'en';
        await audit(page, `${path} (it, ${name})`, { twinLang });
      }
    } catch (error) {
      fail(`checking the pages (${name}): ${error.message}`);
    }
    await ctx.close();
  });
  // The login, walked in English in a context of its own: the pages after the identity
  // provider (an error, the logged-out page) come from a login protocol's messages, which
  // audit does not send twice for an English twin.
  tasks.push(async () => {
    const ctx = await context('en', viewport);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    try {
      await auditAuthPages(page, name);
    } catch (error) {
      await shot(page, `auth-pages-en-${name}-FAILED`).catch(() => {});
      fail(`auditing the login pages (en, ${name}): ${error.message}`);
    }
    await ctx.close();
  });
}

// The journeys: each receives a fresh page and a prefix for its screenshots.
const JOURNEYS = {
  // From the home page to a service sheet through the catalogue, then rating the page: the
  // follow-up question appears only once stars are chosen, and fits them.
  async 'rate a service sheet'(page, prefix, viewport) {
    await page.goto(base + '/borgoverde/');
    await shot(page, `${prefix}-1-home`);
    if (viewport === 'phone') {
      await page.getByRole('button', { name: /menu/i }).first().click();
    }
    await page.locator('[data-element="all-services"]').click();
    await page.waitForURL('**/borgoverde/servizi');
    await page.getByRole('link', { name: 'Permesso di sosta per residenti' }).first().click();
    await page.waitForURL('**/permesso-sosta-residenti');
    check(await page.locator('[data-element="service-title"]').innerText() === 'Permesso di sosta per residenti', 'service title');
    await shot(page, `${prefix}-2-sheet`);
    // A submission without stars (only possible by script) is refused with a page that
    // explains it: audit that page too, then come back.
    await Promise.all([
      page.waitForURL('**/borgoverde/valutazione'),
      page.locator('form.sportello-rating').evaluate((form) => form.submit()),
    ]);
    check(await page.getByText('Scegli da 1 a 5 stelle').isVisible(), 'a rating without stars is explained');
    await audit(page, `${prefix} rating refused`);
    await page.goBack();
    const positive = page.locator('[data-element="feedback-rating-positive"]');
    const negative = page.locator('[data-element="feedback-rating-negative"]');
    check(!(await positive.isVisible()) && !(await negative.isVisible()), 'no follow-up question before the stars');
    await page.locator('label[for="stars-4"]').click();
    check((await positive.isVisible()) && !(await negative.isVisible()), '4 stars ask what was liked');
    await page.locator('label[for="stars-2"]').click();
    check(!(await positive.isVisible()) && (await negative.isVisible()), '2 stars ask where it was hard');
    await page.locator('label[for="answer-unclear-instructions"]').click();
    await page.locator('#rating-comment').fill('La sezione sui costi va letta due volte');
    await audit(page, `${prefix} rating form open`);
    await shot(page, `${prefix}-3-rating`);
    await page.getByRole('button', { name: 'Invia' }).click();
    await page.waitForURL('**valutazione=grazie**');
    check(await page.getByText('Grazie, il tuo parere ci aiuterà a migliorare il servizio!').isVisible(), 'thanks shown');
    await shot(page, `${prefix}-4-thanks`);
  },

  // Without JavaScript every question is visible; a mismatched answer is refused with a clear
  // message that keeps what was typed, and correcting it goes through.
  async 'rate without javascript, correcting a mistake'(page, prefix) {
    await page.goto(base + '/valdoro/');
    // The header's menu opens with a script; the home page's own link needs none.
    await page.getByRole('link', { name: 'Vedi tutti i servizi' }).click();
    await page.waitForURL('**/valdoro/servizi');
    await page.locator('a[data-element="service-link"][href$="/permesso-ztl"]').first().click();
    await page.waitForURL('**/valdoro/servizi/permesso-ztl');
    check(await page.locator('[data-element="feedback-rating-negative"]').isVisible(), 'questions visible without JS');
    await page.locator('label[for="stars-5"]').click();
    await page.locator('label[for="answer-technical-problems"]').click();
    await page.locator('#rating-comment').fill('Commento da non perdere');
    await page.getByRole('button', { name: 'Invia' }).click();
    check(await page.getByText('La risposta scelta non corrisponde alla valutazione').isVisible(), 'the error is explained');
    check((await page.locator('#rating-comment').inputValue()) === 'Commento da non perdere', 'the comment is kept');
    check(await page.locator('#stars-5').isChecked(), 'the stars are kept');
    // axe runs inside the page, so it cannot audit a page without JavaScript; the same
    // template is audited in the journey above.
    await shot(page, `${prefix}-1-error`);
    await page.locator('label[for="answer-no-technical-problems"]').click();
    await page.getByRole('button', { name: 'Invia' }).click();
    await page.waitForURL('**valutazione=grazie**');
    await shot(page, `${prefix}-2-thanks`);
  },

  // The language switch in the header, remembered on the next page.
  async 'switch to English and back'(page, prefix, viewport) {
    await page.goto(base + '/valdoro/');
    await page.getByRole('link', { name: 'Vedi tutti i servizi' }).click();
    await page.waitForURL('**/valdoro/servizi');
    await page.locator('.it-header-slim-right-zone .dropdown-toggle').click();
    await page.locator('a[hreflang="en"]').click();
    await page.waitForURL('**/valdoro/servizi');
    check((await page.getAttribute('html', 'lang')) === 'en', 'English after the switch');
    await page.locator('.it-header-center-wrapper .it-brand-wrapper a').click();
    await page.waitForURL('**/valdoro/');
    check((await page.getAttribute('html', 'lang')) === 'en', 'English remembered');
    await shot(page, `${prefix}-1-english-${viewport}`);
    await page.locator('.it-header-slim-right-zone .dropdown-toggle').click();
    await page.locator('a[hreflang="it"]').click();
    await page.waitForURL('**/valdoro/');
    check((await page.getAttribute('html', 'lang')) === 'it', 'back to Italian');
  },

  // Mario's personal area, section by section: see personal-area.mjs.
  ...PERSONAL_AREA_JOURNEYS,
  // SPID and CIE login: see auth.mjs.
  ...AUTH_JOURNEYS,
  // Paying through pagoPA: see payments.mjs.
  ...PAYMENT_JOURNEYS,
  ...NOTIFICATION_JOURNEYS,
  // The four permits, from the service sheet to the receipt: see requests.mjs.
  ...REQUEST_JOURNEYS,
  // The clerk deciding them: see office.mjs.
  ...OFFICE_JOURNEYS,
};

let journeys = 0;
for (const [name, run] of Object.entries(JOURNEYS)) {
  if (only && !name.includes(only)) continue;
  for (const viewport of Object.keys(VIEWPORTS)) {
    journeys++;
    tasks.push(async () => {
      const noScript = name.includes('without javascript');
      const ctx = await context('it', VIEWPORTS[viewport], !noScript);
      const page = await ctx.newPage();
      page.setDefaultTimeout(20_000);
      const prefix = `${name.replace(/[^a-z]+/gi, '-')}-${viewport}`;
      const t0 = Date.now();
      try {
        await run(page, prefix, viewport);
        console.log(`  ok   journey "${name}" (${viewport}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (error) {
        stats.failures++;
        await shot(page, `${prefix}-FAILED`).catch(() => {});
        console.log(`  FAIL journey "${name}" (${viewport}): ${error.message}`);
      }
      await ctx.close();
    });
  }
}

await inLanes(tasks);
// Alone, once the lanes are done, so that the timings are not those of a busy machine; the
// budget of the pages checked is written with it (or alone, after the page checks alone).
if (timings || pageChecks) {
  try {
    await performanceReport({ lcp: timings });
  } catch (error) {
    fail(`the performance report: ${error.message}`);
  }
}
await browser.close();
const { checked, italian, english, englishSame, violations, failures, untwinned } = stats;
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (untwinned.length) {
  const reasons = new Map();
  for (const { label, reason } of untwinned) {
    const key = reason.replace(/\/[0-9a-f-]{36}\b/g, '/…');
    reasons.set(key, [...(reasons.get(key) ?? []), label]);
  }
  const list = [...reasons].map(([reason, labels]) => `${labels.join(', ')} (${reason})`);
  console.log(`browser: ${untwinned.length} page(s) audited in Italian only: ${list.join('; ')}`);
}
if (englishSame) console.log(`browser: ${englishSame} English twin(s) identical to a page already audited in English at that size, not audited again`);
console.log(`browser: ${checked} page checks with axe-core (WCAG 2.1 A/AA: ${italian} in Italian, ${english} in English), ${violations} violation(s); ${journeys} journeys; ${seconds} s; screenshots in ${output}`);
console.log(`browser: ${stats.model} comune pages held to the Designers Italia model (Bootstrap Italia 2.x, Titillium Web)`);
const passed = journeys + checked - failures - violations;
console.log(`browser: ${passed} passed, ${failures + violations} failed`);
process.exit(failures + violations > 0 ? 1 : 0);
