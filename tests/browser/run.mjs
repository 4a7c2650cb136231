// Sportello in a real browser: every page below is opened in Debian's Chromium, checked with
// axe-core against WCAG 2.1 A/AA in Italian and in English, on a desktop and a phone viewport,
// and the journeys at the end are walked as a person would, with and without JavaScript.
//
//   node run.mjs http://localhost:8080      (scripts/test starts the demo and calls this)
//
// Screenshots of each journey step go to $BROWSER_OUTPUT (default ../../target/browser).
// Adding a page: append it to PAGES. Adding a journey: write an async function taking a
// Playwright page and add it to JOURNEYS (login journeys live in auth.mjs, with the steps to
// build them from: signIn, signOut, tabTo, ...; payment journeys in payments.mjs). What the
// parts share is in lib.mjs.
//
// BROWSER_ONLY=word runs only the journeys whose name contains it, and skips the page checks.
// BROWSER_LANES=n runs n browser contexts at once (default 2; 1 runs everything in order).
import { base, output, browser, stats, context, audit, check, shot, expectLang, fail, inLanes, VIEWPORTS } from './lib.mjs';
import { AUTH_JOURNEYS, auditAuthPages } from './auth.mjs';
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

// The page checks, as tasks for the lanes (see inLanes in lib.mjs), longest first.
const tasks = [];
for (const [name, viewport] of only ? [] : Object.entries(VIEWPORTS)) {
  for (const lang of ['it', 'en']) {
    tasks.push(async () => {
      const ctx = await context(lang, viewport);
      const page = await ctx.newPage();
      page.setDefaultTimeout(20_000);
      try {
        for (const path of name === 'phone' ? PHONE_PAGES : PAGES) {
          await page.goto(base + path, { waitUntil: 'load' });
          await expectLang(page, path.startsWith('/comune-inesistente') ? 'it' : lang, `${path} (${lang}, ${name})`);
          await audit(page, `${path} (${lang}, ${name})`);
        }
      } catch (error) {
        fail(`checking the pages (${lang}, ${name}): ${error.message}`);
      }
      await ctx.close();
    });
  }
  // The pages around login, in English, are reached by logging in, in a context of their own
  // (the login journeys audit them in Italian).
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
    await page.goto(base + '/valdoro/servizi/permesso-ztl');
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
    await page.goto(base + '/valdoro/servizi');
    await page.locator('.it-header-slim-right-zone .dropdown-toggle').click();
    await page.locator('a[hreflang="en"]').click();
    await page.waitForURL('**/valdoro/servizi');
    check((await page.getAttribute('html', 'lang')) === 'en', 'English after the switch');
    await page.goto(base + '/valdoro/');
    check((await page.getAttribute('html', 'lang')) === 'en', 'English remembered');
    await shot(page, `${prefix}-1-english-${viewport}`);
    await page.locator('.it-header-slim-right-zone .dropdown-toggle').click();
    await page.locator('a[hreflang="it"]').click();
    await page.waitForURL('**/valdoro/');
    check((await page.getAttribute('html', 'lang')) === 'it', 'back to Italian');
  },

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
await browser.close();
const { checked, violations, failures } = stats;
const seconds = ((Date.now() - started) / 1000).toFixed(0);
console.log(`browser: ${checked} page checks with axe-core (WCAG 2.1 A/AA), ${violations} violation(s); ${journeys} journeys; ${seconds} s; screenshots in ${output}`);
const passed = journeys + checked - failures - violations;
console.log(`browser: ${passed} passed, ${failures + violations} failed`);
process.exit(failures + violations > 0 ? 1 : 0);
