// What every part of the browser suite shares: the address of the demo, the browser, the
// counters, and the small steps (audit a page, check a condition, take a screenshot).
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const base = process.argv[2] || 'http://localhost:8080';
export const output = process.env.BROWSER_OUTPUT || new URL('../../target/browser', import.meta.url).pathname;
mkdirSync(output, { recursive: true });
// A failure's screenshot from an earlier run would pass for this run's.
for (const file of readdirSync(output)) {
  if (file.endsWith('-FAILED.png')) rmSync(join(output, file));
}

export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** What the run found; printed at the end by run.mjs. */
export const stats = { checked: 0, violations: 0, failures: 0 };

export const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // As root, and without the background connections this closed network refuses.
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

/** A fresh browser context in `lang` (the comune's `lang` cookie, as the language switch sets it). */
export async function context(lang, viewport, javaScriptEnabled = true) {
  const ctx = await browser.newContext({ viewport, javaScriptEnabled, locale: lang === 'en' ? 'en-GB' : 'it-IT' });
  const url = new URL(base);
  await ctx.addCookies([{ name: 'lang', value: lang, domain: url.hostname, path: '/' }]);
  return ctx;
}

/**
 * axe-core on the page as it is now (WCAG 2.1 A/AA); each violation is printed and counted.
 * `exclude` is a selector axe leaves out (a sandboxed frame it cannot enter, audited apart).
 */
export async function audit(page, label, exclude) {
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

/** Checks `<html lang>`; outside journeys, so a wrong language is counted, not thrown. */
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
