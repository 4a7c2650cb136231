// Sportello in a real browser: every page below is opened in Debian's Chromium, checked with
// axe-core against WCAG 2.1 A/AA in Italian and in English, on a desktop and a phone viewport,
// and the journeys at the end are walked as a person would, with and without JavaScript.
//
//   node run.mjs http://localhost:8080      (scripts/test starts the demo and calls this)
//
// Screenshots of each journey step go to $BROWSER_OUTPUT (default ../../target/browser).
// Adding a page: append it to PAGES. Adding a journey: write an async function taking a
// Playwright page and add it to JOURNEYS.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const base = process.argv[2] || 'http://localhost:8080';
const output = process.env.BROWSER_OUTPUT || new URL('../../target/browser', import.meta.url).pathname;
mkdirSync(output, { recursive: true });

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

const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // As root, and without the background connections this closed network refuses.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

let checked = 0;
let violations = 0;
let failures = 0;

async function context(lang, viewport, javaScriptEnabled = true) {
  const ctx = await browser.newContext({ viewport, javaScriptEnabled, locale: lang === 'en' ? 'en-GB' : 'it-IT' });
  const url = new URL(base);
  await ctx.addCookies([{ name: 'lang', value: lang, domain: url.hostname, path: '/' }]);
  return ctx;
}

async function audit(page, label) {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`axe timed out on ${label}`)), 60_000));
  const result = await Promise.race([new AxeBuilder({ page }).withTags(TAGS).analyze(), timeout]);
  checked++;
  for (const v of result.violations) {
    violations++;
    console.log(`  VIOLATION ${label} [${v.impact}] ${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
}

for (const lang of ['it', 'en']) {
  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    const ctx = await context(lang, viewport);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    for (const path of name === 'phone' ? PHONE_PAGES : PAGES) {
      await page.goto(base + path, { waitUntil: 'load' });
      const htmlLang = await page.getAttribute('html', 'lang');
      const expected = path.startsWith('/comune-inesistente') ? 'it' : lang;
      if (htmlLang !== expected) {
        failures++;
        console.log(`  FAIL ${path} (${lang}, ${name}): <html lang="${htmlLang}">, expected ${expected}`);
      }
      await audit(page, `${path} (${lang}, ${name})`);
    }
    await ctx.close();
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: join(output, `${name}.png`), fullPage: false });
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
};

let journeys = 0;
for (const [name, run] of Object.entries(JOURNEYS)) {
  for (const viewport of Object.keys(VIEWPORTS)) {
    const noScript = name.includes('without javascript');
    const ctx = await context('it', VIEWPORTS[viewport], !noScript);
    const page = await ctx.newPage();
    page.setDefaultTimeout(20_000);
    const prefix = `${name.replace(/[^a-z]+/gi, '-')}-${viewport}`;
    journeys++;
    try {
      await run(page, prefix, viewport);
      console.log(`  ok   journey "${name}" (${viewport})`);
    } catch (error) {
      failures++;
      await shot(page, `${prefix}-FAILED`).catch(() => {});
      console.log(`  FAIL journey "${name}" (${viewport}): ${error.message}`);
    }
    await ctx.close();
  }
}

await browser.close();
console.log(`browser: ${checked} page checks with axe-core (WCAG 2.1 A/AA), ${violations} violation(s); ${journeys} journeys; screenshots in ${output}`);
const passed = journeys + checked - failures - violations;
console.log(`browser: ${passed} passed, ${failures + violations} failed`);
process.exit(failures + violations > 0 ? 1 : 0);
