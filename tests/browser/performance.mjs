// How heavy and how fast the comune's pages are, as a report (performance.json and
// performance.md in the output folder), not a pass/fail timing:
//
// - Largest Contentful Paint, from the browser's own performance API (PerformanceObserver,
//   `largest-contentful-paint`, buffered) with the navigation timing (TTFB, DOMContentLoaded,
//   load) and the LCP element, of the home page and of the first step of a permit request's
//   form (signed in), on a desktop and on a phone, the phone also on a slow
//   network with a slow processor (DevTools' "Fast 3G" and 4x CPU, through CDP). Each is
//   loaded BROWSER_PERF_RUNS times (default 3) with an empty cache; the median is reported.
// - The JavaScript and CSS budget: every comune page audited (see audit in lib.mjs) has the
//   scripts and style sheets it loads weighed beyond Bootstrap Italia's own, compressed with
//   gzip -9 (whether or not the server compresses them; the bytes it actually sends and their
//   content-encoding are recorded too). More than BUDGET bytes fails the run.
import { gzipSync, gunzipSync, brotliDecompressSync, inflateSync } from 'node:zlib';
import http from 'node:http';
import https from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base, browser, output, fail, onAudit, VIEWPORTS } from './lib.mjs';
import { signIn } from './auth.mjs';

/** At most this much JavaScript and CSS, gzipped, beyond Bootstrap Italia, on any page. */
export const BUDGET = 300 * 1024;
const BOOTSTRAP_ITALIA = '/static/vendor/bootstrap-italia/';

// ---- The budget -------------------------------------------------------------------------

/** Each asset once: its bytes as sent (and their encoding), as decoded, and gzipped -9. */
const weights = new Map();

function weighAsset(url) {
  if (!weights.has(url)) {
    weights.set(url, new Promise((resolve, reject) => {
      const client = url.startsWith('https:') ? https : http;
      const request = client.get(url, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const sent = Buffer.concat(chunks);
          const encoding = response.headers['content-encoding'] || 'identity';
          const decode = { gzip: gunzipSync, br: brotliDecompressSync, deflate: inflateSync }[encoding];
          const body = decode ? decode(sent) : sent;
          resolve({ status: response.statusCode, encoding, transferred: sent.length, raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
        });
      });
      request.on('error', reject);
    }));
  }
  return weights.get(url);
}

/** The weighed pages, by page and viewport: the first audit of each is kept. */
const pages = new Map();

function viewportName(page) {
  const size = page.viewportSize();
  const known = Object.entries(VIEWPORTS).find(([, v]) => v.width === size?.width);
  return known ? known[0] : `${size?.width}x${size?.height}`;
}

/** Weighs the scripts and style sheets `page` has loaded, and holds it to the budget. */
export async function weigh(page, label) {
  const url = new URL(page.url());
  // A SAML message in the query is a signed one-off, not part of the page's name.
  for (const name of [...url.searchParams.keys()]) if (/^(SAML|Sig|RelayState)/.test(name)) url.searchParams.delete(name);
  const key = `${url.pathname}${url.search} ${viewportName(page)}`;
  if (pages.has(key)) return;
  pages.set(key, null);
  const assets = await page.evaluate(() => {
    const found = new Map();
    for (const s of document.querySelectorAll('script[src]')) found.set(s.src, 'js');
    for (const l of document.querySelectorAll('link[rel~="stylesheet"][href]')) found.set(l.href, 'css');
    for (const l of document.querySelectorAll('link[rel="modulepreload"][href]')) found.set(l.href, 'js');
    // What scripts loaded themselves, and style sheets imported by others.
    for (const e of performance.getEntriesByType('resource')) {
      const path = new URL(e.name).pathname;
      if (found.has(e.name)) continue;
      if (e.initiatorType === 'script' || /\.m?js$/.test(path)) found.set(e.name, 'js');
      else if (/\.css$/.test(path)) found.set(e.name, 'css');
    }
    return [...found];
  });
  const entry = { page: `${url.pathname}${url.search}`, viewport: viewportName(page), label, assets: [], own: { js: 0, css: 0, gzip: 0, raw: 0, transferred: 0 }, bootstrapItalia: { gzip: 0, raw: 0, transferred: 0 } };
  for (const [href, kind] of assets) {
    const weight = await weighAsset(href);
    const path = new URL(href).pathname;
    const bootstrap = path.startsWith(BOOTSTRAP_ITALIA);
    entry.assets.push({ path, kind, bootstrapItalia: bootstrap, ...weight });
    const sum = bootstrap ? entry.bootstrapItalia : entry.own;
    sum.gzip += weight.gzip;
    sum.raw += weight.raw;
    sum.transferred += weight.transferred;
    if (!bootstrap) sum[kind] += weight.gzip;
  }
  pages.set(key, entry);
  if (entry.own.gzip > BUDGET) {
    fail(`${label}: ${kb(entry.own.gzip)} of JavaScript and CSS (gzip) beyond Bootstrap Italia, over the budget of ${kb(BUDGET)}`);
  }
}
onAudit.push(weigh);

// ---- Largest Contentful Paint -----------------------------------------------------------

const PHONE = { viewport: VIEWPORTS.phone, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
/** Chrome DevTools' "Fast 3G" preset, and a processor four times slower. */
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 / 8) * 0.9, uploadThroughput: (750 * 1024 / 8) * 0.9 };
const SCENARIOS = [
  { name: 'desktop', options: { viewport: VIEWPORTS.desktop } },
  { name: 'phone', options: PHONE },
  { name: 'phone, Fast 3G, 4x CPU', options: PHONE, network: FAST_3G, cpu: 4 },
];

/** Run in the page once it has loaded: the last LCP candidate, the paint and navigation timing. */
function readTimings() {
  return new Promise((resolve) => {
    const entries = [];
    const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
    observer.observe({ type: 'largest-contentful-paint', buffered: true });
    // Two frames and a moment, so that what was painted last is reported.
    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => {
      entries.push(...observer.takeRecords());
      observer.disconnect();
      const lcp = entries.at(-1);
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const el = lcp?.element;
      const element = el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${[...el.classList].slice(0, 3).map((c) => `.${c}`).join('')}` : null;
      resolve({
        lcp: lcp ? Math.round(lcp.startTime) : null,
        element,
        elementText: el ? (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80) : null,
        elementUrl: lcp?.url || null,
        fcp: fcp ? Math.round(fcp.startTime) : null,
        ttfb: Math.round(nav.responseStart),
        documentReceived: Math.round(nav.responseEnd),
        domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
        load: Math.round(nav.loadEventEnd),
        documentBytes: nav.transferSize,
      });
    }, 300)));
  });
}

/** Loads `url` once in a fresh context (an empty cache) as `scenario` and reads the timings. */
async function loadOnce(url, scenario, storageState) {
  const ctx = await browser.newContext({ ...scenario.options, locale: 'it-IT', storageState });
  await ctx.addCookies([{ name: 'lang', value: 'it', domain: new URL(base).hostname, path: '/' }]);
  try {
    const page = await ctx.newPage();
    if (scenario.network || scenario.cpu) {
      const cdp = await ctx.newCDPSession(page);
      await cdp.send('Network.enable');
      if (scenario.network) await cdp.send('Network.emulateNetworkConditions', scenario.network);
      if (scenario.cpu) await cdp.send('Emulation.setCPUThrottlingRate', { rate: scenario.cpu });
    }
    const response = await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    if (response?.status() !== 200 || page.url() !== url) throw new Error(`${url} answered ${response?.status()} at ${page.url()}`);
    return await page.evaluate(readTimings);
  } finally {
    await ctx.close();
  }
}

function median(values) {
  const known = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  return known.length ? known[Math.floor((known.length - 1) / 2)] : null;
}

/**
 * A signed-in citizen's first step of a permit request: Sara Esposito starts a request for a
 * ZTL permit from its request page. Returns the step's address, her session, and a way to
 * discard the draft afterwards (from the summary, as she would).
 */
async function firstFormStep() {
  const ctx = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: 'it-IT' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${base}/borgoverde/servizi/permesso-ztl/richiesta`);
  await signIn(page, 'Sara Esposito');
  await page.getByRole('button', { name: 'Inizia una nuova richiesta' }).click();
  await page.waitForURL('**/passi/**');
  const url = page.url();
  const storageState = await ctx.storageState();
  const discard = async () => {
    await page.goto(url.replace(/\/passi\/.*$/, '/riepilogo'));
    await page.getByRole('button', { name: 'Elimina la bozza' }).click();
    await page.waitForLoadState('load');
    await ctx.close();
  };
  return { url, storageState, discard };
}

/** Measures LCP and the rest on every page and scenario; returns the measures. */
async function measureLcp(runs) {
  const step = await firstFormStep();
  const targets = [
    { name: 'home page', url: `${base}/borgoverde/` },
    { name: 'first step of the form (signed in)', url: step.url, storageState: step.storageState },
  ];
  const measures = [];
  try {
    for (const target of targets) {
      for (const scenario of SCENARIOS) {
        const samples = [];
        for (let i = 0; i < runs; i++) samples.push(await loadOnce(target.url, scenario, target.storageState));
        const lcp = median(samples.map((s) => s.lcp));
        const typical = samples.find((s) => s.lcp === lcp) ?? samples[0];
        measures.push({
          page: target.name,
          path: new URL(target.url).pathname,
          scenario: scenario.name,
          runs,
          median: Object.fromEntries(['lcp', 'fcp', 'ttfb', 'documentReceived', 'domContentLoaded', 'load'].map((k) => [k, median(samples.map((s) => s[k]))])),
          lcpElement: { element: typical.element, text: typical.elementText, url: typical.elementUrl },
          samples,
        });
      }
    }
  } finally {
    await step.discard().catch((error) => console.log(`  (the draft of the performance check was not discarded: ${error.message})`));
  }
  return measures;
}

// ---- The report -------------------------------------------------------------------------

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * Measures LCP (unless `lcp` is false) and writes performance.json and performance.md with
 * it and the budget of the pages weighed so far; prints a summary.
 */
export async function performanceReport({ lcp = true } = {}) {
  const runs = Math.max(1, Number(process.env.BROWSER_PERF_RUNS) || 3);
  const measures = lcp ? await measureLcp(runs) : [];
  const weighed = [...pages.values()].filter(Boolean);
  const bootstrap = [...new Set(weighed.flatMap((p) => p.assets.filter((a) => a.bootstrapItalia).map((a) => a.path)))];
  const bootstrapWeights = await Promise.all(bootstrap.map(async (path) => ({ path, ...(await weighAsset(new URL(path, base).href)) })));
  const heaviest = weighed.reduce((max, p) => (!max || p.own.gzip > max.own.gzip ? p : max), null);
  const report = {
    generated: new Date().toISOString(),
    lcp: { runs, scenarios: SCENARIOS.map((s) => ({ name: s.name, viewport: s.options.viewport, network: s.network ?? null, cpuSlowdown: s.cpu ?? 1 })), measures },
    budget: { limitGzip: BUDGET, excluded: BOOTSTRAP_ITALIA, heaviest: heaviest && { page: heaviest.page, viewport: heaviest.viewport, gzip: heaviest.own.gzip }, bootstrapItalia: bootstrapWeights, pages: weighed },
  };
  writeFileSync(join(output, 'performance.json'), `${JSON.stringify(report, null, 2)}\n`);

  const md = ['# Performance of the comune\'s pages', '', `Generated ${report.generated} by the browser suite (tests/browser/performance.mjs). A report, not a pass/fail timing: the figures depend on the machine that ran it.`, ''];
  if (measures.length) {
    md.push('## Largest Contentful Paint', '', `Median of ${runs} loads with an empty cache, in milliseconds from the start of the navigation. "phone" is ${PHONE.viewport.width}x${PHONE.viewport.height} at 3x; the slow network is DevTools' "Fast 3G" (562.5 ms latency, ${kb(FAST_3G.downloadThroughput)}/s down), the slow processor 4x. Chromium adds the emulated latency after the response's headers, so on the slow network TTFB is still the server's time, and "document" (the HTML fully received) shows the wait.`, '');
    md.push('| Page | Scenario | LCP | FCP | TTFB | Document | DOMContentLoaded | load | LCP element |', '|---|---|--:|--:|--:|--:|--:|--:|---|');
    for (const m of measures) {
      const el = m.lcpElement.element ? `\`${m.lcpElement.element}\`${m.lcpElement.text ? ` "${m.lcpElement.text.slice(0, 50)}"` : ''}${m.lcpElement.url ? ` ${new URL(m.lcpElement.url).pathname}` : ''}` : '–';
      md.push(`| ${m.page} (\`${m.path}\`) | ${m.scenario} | ${m.median.lcp ?? '–'} | ${m.median.fcp ?? '–'} | ${m.median.ttfb} | ${m.median.documentReceived} | ${m.median.domContentLoaded} | ${m.median.load} | ${el.replace(/\|/g, '\\|')} |`);
    }
    md.push('');
  }
  md.push('## JavaScript and CSS beyond Bootstrap Italia', '', `Budget: at most ${kb(BUDGET)} gzipped (level 9) on any page, beyond \`${BOOTSTRAP_ITALIA}\`. "Sent" is what the server sends when the browser accepts gzip and Brotli, with its content-encoding.`, '');
  if (!weighed.length) md.push('No page was audited in this run, so none was weighed.', '');
  if (heaviest) {
    md.push('Bootstrap Italia itself, for reference:', '', '| File | Size | gzip -9 | Sent | Encoding |', '|---|--:|--:|--:|---|');
    for (const b of bootstrapWeights) md.push(`| \`${b.path}\` | ${kb(b.raw)} | ${kb(b.gzip)} | ${kb(b.transferred)} | ${b.encoding} |`);
    md.push('', `Heaviest page: \`${heaviest.page}\` (${heaviest.viewport}), ${kb(heaviest.own.gzip)} gzipped, ${heaviest.own.gzip > BUDGET ? '**over the budget**' : 'within the budget'}; ${weighed.length} pages weighed (each page once per viewport, as first audited).`, '');
    md.push('| Page | Viewport | JS (gzip) | CSS (gzip) | Total (gzip) | Size | Sent | Encodings |', '|---|---|--:|--:|--:|--:|--:|---|');
    for (const p of weighed) {
      const encodings = [...new Set(p.assets.filter((a) => !a.bootstrapItalia).map((a) => a.encoding))].join(', ');
      md.push(`| \`${p.page.replace(/\|/g, '\\|')}\` | ${p.viewport} | ${kb(p.own.js)} | ${kb(p.own.css)} | ${kb(p.own.gzip)}${p.own.gzip > BUDGET ? ' **over**' : ''} | ${kb(p.own.raw)} | ${kb(p.own.transferred)} | ${encodings} |`);
    }
    md.push('');
  }
  writeFileSync(join(output, 'performance.md'), md.join('\n'));

  if (measures.length) {
    const line = (name) => measures.filter((m) => m.page === name).map((m) => `${m.scenario} ${m.median.lcp} ms`).join(', ');
    console.log(`performance: LCP (median of ${runs}) home page: ${line('home page')}; form step: ${line('first step of the form (signed in)')}`);
  }
  const bootstrapGzip = bootstrapWeights.reduce((sum, b) => sum + b.gzip, 0);
  console.log(`performance: JS+CSS beyond Bootstrap Italia at most ${heaviest ? kb(heaviest.own.gzip) : '–'} gzipped (${heaviest?.page ?? 'no page'}), budget ${kb(BUDGET)}, ${weighed.length} pages; Bootstrap Italia ${kb(bootstrapGzip)} gzipped; report in ${join(output, 'performance.md')}`);
}
