// The four permits in the browser, from the comune's home page to the receipt, as a person
// would ask for them: find the service (the "Servizi" menu, collapsed behind a button on a
// phone; the catalogue; the search), open its sheet, "Accedi al servizio", sign in with the
// test IdP, fill every step of the form (one mistake made, explained next to its field and
// corrected without losing what was typed), upload the documents, read the summary, send, and
// check the receipt and its PDF. Every page on the way is audited with axe-core and
// photographed (numbered, so the screenshots sort in order). The ZTL journey also closes the
// browser halfway and resumes the draft from the personal area.
//
// A new permit journey is a few of the steps below in a row:
//
//   async 'apply for my permit'(page, prefix, viewport) {
//     const see = recorder(prefix);                  // audit + numbered screenshot
//     const tenant = comuneFor(viewport);                      // two runs at once: one comune each
//     await openService(page, tenant, 'Permesso di accesso alla ZTL', { viewport, via: 'search', query: 'ZTL', see });
//     await startRequest(page, 'Anna Verdi', { see });         // ends on the first step
//     await fillStep(page, { category: 'giornaliero' });       // field id → value, one call a step
//     await see(page, 'step plates');
//     await fillStep(page, { plates: ['AB1234'] }, 'error');   // a mistake: the same step, 422
//     await expectFieldError(page, 'plates', 'La targa non è valida');
//     await fillStep(page, { plates: ['AB123CD'] });
//     ...
//     await attach(page, 'cude_copy', fixture('photo.jpg'));   // on the attachments page
//     await toSummary(page);
//     const { protocol } = await submitAndReceipt(page);       // checks the receipt and its PDF
//   }
//
// sendAndFindInPersonalArea does the usual end of it: the summary, the receipt and the request
// in the personal area, each seen.
//
// Every journey here has "apply for" in its name: BROWSER_ONLY="apply for" runs them alone. The
// desktop run asks in Borgoverde and the phone run in Valdoro (the two runs can go at once),
// always as Anna Verdi or Sara Esposito, and always for a new request: the demo's seeded
// pratiche, and Mario Rossi's and Stefano Ferri's payments, are left to the other journeys.
// The documents are the small files in fixtures/ (a one-page PDF, a JPEG and a PNG photo).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { base, browser, audit, check, shot, context, VIEWPORTS } from './lib.mjs';
import { goToIdp, choosePerson, leaveIdp, expectSignedIn } from './auth.mjs';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** The comune a run asks in: Borgoverde on a desktop, Valdoro on a phone. */
export function comuneFor(viewport) {
  return viewport === 'phone' ? 'valdoro' : 'borgoverde';
}

/** The address of `path` in the comune `tenant`. */
export function inComune(tenant, path = '/') {
  return `${base}/${tenant}${path}`;
}

/** A day `days` from today (negative: in the past), as a date field takes it (YYYY-MM-DD). */
export function isoDay(days) {
  const day = new Date();
  day.setDate(day.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/**
 * A file of fixtures/ ('document.pdf', 'photo.jpg', 'photo.png') as Playwright's
 * setInputFiles takes it, uploaded under `name` (default: its own name).
 */
export function fixture(file, name = file) {
  const mimeType = { pdf: 'application/pdf', jpg: 'image/jpeg', png: 'image/png' }[file.split('.').pop()];
  return { name, mimeType, buffer: readFileSync(new URL(file, FIXTURES)) };
}

/**
 * What a journey does on each page it reaches: audit it with axe-core, and its English twin
 * (see audit in lib.mjs; `english: false` leaves the English to the journey, `axe: false` skips
 * both), labelled with the journey's prefix, which names the viewport; then take a screenshot
 * numbered in order, `${prefix}-07-summary.png`.
 */
export function recorder(prefix) {
  let n = 0;
  return async (page, what, { axe = true, english = true } = {}) => {
    n++;
    if (axe) await audit(page, `${prefix}: ${what} (it)`, { english });
    await shot(page, `${prefix}-${String(n).padStart(2, '0')}-${what.replace(/[^a-z0-9]+/gi, '-')}`);
  };
}

const nothing = async () => {};

/** Runs `action` (a click, a key press) and waits until the page it leads to has loaded. */
export async function navigates(page, action) {
  const loaded = page.waitForEvent('load');
  await action();
  await loaded;
}

// ---------------------------------------------------------------------------------------------
// Finding the service and starting a request
// ---------------------------------------------------------------------------------------------

/**
 * From the home page of `tenant` to the sheet of the service titled `title`, as a person finds
 * it. `via`: 'menu' (the header's "Servizi", behind the menu button on a phone, then the
 * service's link in the catalogue), 'search' (the home page's search box, with `query`),
 * 'catalogue-search' (the menu to the catalogue, then its search box). `see` is called on each
 * page on the way (see recorder).
 */
export async function openService(page, tenant, title, { viewport = 'desktop', via = 'menu', query, see = nothing } = {}) {
  await page.goto(inComune(tenant, '/'));
  await see(page, 'home');
  if (via === 'search') {
    await page.getByRole('searchbox', { name: 'Cerca un servizio' }).fill(query);
    await navigates(page, () => page.getByRole('button', { name: 'Cerca', exact: true }).click());
    await expectSearchResults(page, tenant, query);
    await see(page, 'search results');
  } else {
    if (viewport === 'phone') {
      const toggle = page.getByRole('button', { name: 'Mostra o nascondi il menu' });
      check(!(await page.locator('[data-element="all-services"]').isVisible()), 'on a phone the menu starts collapsed');
      await toggle.click();
      await page.locator('[data-element="all-services"]').waitFor({ state: 'visible' });
      check((await toggle.getAttribute('aria-expanded')) === 'true', 'the menu button says the menu is open');
      await settled(page);
      await see(page, 'menu open');
    }
    await navigates(page, () => page.locator('[data-element="all-services"]').click());
    check(new URL(page.url()).pathname === `/${tenant}/servizi`, `the menu leads to the catalogue (at ${page.url()})`);
    await see(page, 'catalogue');
    if (via === 'catalogue-search') {
      await page.getByRole('searchbox', { name: 'Cerca un servizio' }).fill(query);
      await navigates(page, () => page.getByRole('button', { name: 'Cerca', exact: true }).click());
      await expectSearchResults(page, tenant, query);
      await see(page, 'catalogue search results');
    }
  }
  const link = page.locator('main a[data-element="service-link"]').getByText(title, { exact: true });
  check((await link.count()) === 1, `the list shows "${title}" once`);
  await navigates(page, () => link.click());
  check(/\/servizi\/[a-z0-9-]+$/.test(new URL(page.url()).pathname), `the link leads to a service sheet (at ${page.url()})`);
  const shown = (await page.locator('[data-element="service-title"]').innerText()).trim();
  check(shown === title, `the sheet of "${title}" (it reads "${shown}")`);
  await see(page, 'service sheet');
}

/** Waits until the page's finite animations and transitions (a menu sliding in) are over. */
async function settled(page) {
  await page.evaluate(() => Promise.all(document.getAnimations()
    .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
    .map((a) => a.finished.catch(() => {}))));
}

async function expectSearchResults(page, tenant, query) {
  const url = new URL(page.url());
  check(url.pathname === `/${tenant}/servizi` && url.searchParams.get('q') === query, `the search for "${query}" (at ${page.url()})`);
  const status = page.getByRole('status').filter({ hasText: `per «${query}»` });
  check(await status.isVisible(), `the number of services found for "${query}" is announced`);
}

/**
 * On a service sheet: "Accedi al servizio", sign `person` in through the test IdP (by SPID or
 * by CIE, `via`), back on the service's request page, then "Inizia una nuova richiesta"; ends
 * on the first step of the form. Returns the address of the new draft (…/richiesta/{id}).
 */
export async function startRequest(page, person, { via = 'spid', see = nothing } = {}) {
  await navigates(page, () => page.locator('[data-element="service-online-access"]').first().click());
  const request = new URL(page.url()).pathname;
  check(request.endsWith('/richiesta'), `"Accedi al servizio" leads to the request page (at ${page.url()})`);
  check(await page.locator('.sportello-sign-in[data-element="personal-area-login"]').isVisible(), 'the request page asks to sign in');
  await see(page, 'sign in to the service');
  await goToIdp(page, via);
  await see(page, 'test identity provider');
  await choosePerson(page, person);
  const acs = await leaveIdp(page);
  check(acs.status() === 303, `the comune accepts the login (HTTP ${acs.status()})`);
  check(new URL(page.url()).pathname === request, `back on the service's request page (at ${page.url()})`);
  await expectSignedIn(page, person);
  const start = page.getByRole('button', { name: 'Inizia una nuova richiesta' });
  check(await start.isVisible(), 'the request page offers to start a request');
  await see(page, 'request page, signed in');
  await navigates(page, () => start.click());
  const match = new URL(page.url()).pathname.match(/^(.*\/richiesta\/[0-9a-f-]{36})\/passi\/[^/]+$/);
  check(match, `a new draft opens on its first step (at ${page.url()})`);
  return base + match[1];
}

// ---------------------------------------------------------------------------------------------
// The steps of the form
// ---------------------------------------------------------------------------------------------

/**
 * Fills the current step with `answers` (field id → value: the option's value for radio
 * buttons and checkboxes, an array for plates and multiple choices, true or false for a
 * declaration or a single checkbox, the option's text for a list, text otherwise), with clicks
 * and typing, then "Salva e continua". `expect`: 'next' (default: the step is accepted and the
 * next page opens), 'error' (the same step comes back with its errors, HTTP 422), or the end
 * of the address expected next ('/allegati', '/riepilogo', '/passi/periodo').
 */
export async function fillStep(page, answers = {}, expect = 'next') {
  const before = new URL(page.url()).pathname;
  for (const [id, value] of Object.entries(answers)) await setField(page, id, value);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === before);
  await navigates(page, () => page.getByRole('button', { name: 'Salva e continua' }).click());
  const status = (await posted).status();
  const now = new URL(page.url()).pathname;
  if (expect === 'error') {
    check(status === 422 && now === before, `the step ${before} is refused (HTTP ${status}, at ${now})`);
  } else {
    const errors = status === 422 ? await page.locator('#error-summary').innerText().catch(() => '') : '';
    check(status === 303 && now !== before, `the step ${before} is accepted (HTTP ${status}, at ${now}) ${errors}`);
    if (expect !== 'next') check(now.endsWith(expect), `after ${before} comes ${expect} (at ${now})`);
  }
}

/** The controls of field `id` on a step: its input, list, text area, or the group's inputs. */
function controls(page, id) {
  return page.locator(`#field-${id}`).locator('input:not([type=hidden]), select, textarea');
}

/**
 * How field `id` is drawn: `kind` is its control's type (text, date, radio, checkbox, select,
 * textarea, ...) and `many` whether it is a group of inputs (`{id}-1`, `{id}-2`, ...: radio
 * buttons, checkboxes, plates) rather than one control with the field's id.
 */
async function widget(page, id) {
  return controls(page, id).first().evaluate((el, id) => ({ kind: el.tagName === 'INPUT' ? el.type : el.tagName.toLowerCase(), many: el.id !== id }), id);
}

/** One field of a step, set with the mouse and the keyboard as a person would (see fillStep). */
export async function setField(page, id, value) {
  const field = page.locator(`#field-${id}`);
  check((await field.count()) === 1, `the step has the field ${id}`);
  const { kind, many } = await widget(page, id);
  if (kind === 'radio') {
    await clickOption(field, id, value);
  } else if (kind === 'checkbox' && many) {
    for (const input of await field.locator('input[type=checkbox]').all()) {
      const wanted = value.includes(await input.getAttribute('value'));
      if ((await input.isChecked()) !== wanted) await field.locator(`label[for="${await input.getAttribute('id')}"]`).click();
    }
  } else if (kind === 'checkbox') {
    const box = field.locator('input[type=checkbox]');
    if ((await box.isChecked()) !== Boolean(value)) await field.locator(`label[for="${id}"]`).click();
    check((await box.isChecked()) === Boolean(value), `${id} ${value ? 'ticked' : 'left blank'}`);
  } else if (kind === 'select') {
    await field.locator('select').selectOption({ label: value });
  } else if (Array.isArray(value)) {
    const boxes = await field.locator('input[type=text]').all();
    check(value.length <= boxes.length, `${id} takes ${boxes.length} values at most`);
    for (const [i, input] of boxes.entries()) await input.fill(value[i] ?? '');
  } else {
    await page.locator(`#${id}`).fill(value);
  }
}

async function clickOption(field, id, value) {
  const input = field.locator(`input[name="${id}"][value="${value}"]`);
  check((await input.count()) === 1, `${id} offers "${value}"`);
  await field.locator(`label[for="${await input.getAttribute('id')}"]`).click();
  check(await input.isChecked(), `${id}: "${value}" chosen`);
}

/** What field `id` of the current step holds, in the form setField takes. */
export async function readField(page, id) {
  const field = page.locator(`#field-${id}`);
  const { kind, many } = await widget(page, id);
  if (kind === 'radio') {
    const checked = field.locator('input:checked');
    return (await checked.count()) ? checked.getAttribute('value') : '';
  }
  if (kind === 'checkbox' && many) {
    return Promise.all((await field.locator('input:checked').all()).map((input) => input.getAttribute('value')));
  }
  if (kind === 'checkbox') return field.locator('input[type=checkbox]').isChecked();
  if (kind === 'select') return (await field.locator('select option:checked').innerText()).trim();
  if (many) {
    const values = await Promise.all((await field.locator('input[type=text]').all()).map((input) => input.inputValue()));
    return values.filter((v) => v !== '');
  }
  return page.locator(`#${id}`).inputValue();
}

/** Checks the current step still holds `answers` (as given to fillStep): nothing typed was lost. */
export async function expectKept(page, answers, when = 'now') {
  for (const [id, value] of Object.entries(answers)) {
    const held = await readField(page, id);
    check(JSON.stringify(held) === JSON.stringify(value), `${when}, ${id} still holds ${JSON.stringify(value)} (it holds ${JSON.stringify(held)})`);
  }
}

/**
 * On a step refused by the comune: the error of field `id` reads `message` (the start of it),
 * in Italian, next to the field, which is marked invalid and described by it (the input
 * itself; for a group of inputs, the group's fieldset), and the error summary at the top,
 * announced as an alert, links to the field with the same message.
 */
export async function expectFieldError(page, id, message) {
  check((await page.getAttribute('html', 'lang')) === 'it', 'the page is in Italian');
  const error = page.locator(`#${id}-error`);
  check(await error.isVisible(), `the error of ${id} is shown next to it`);
  const text = (await error.innerText()).trim();
  check(text.startsWith(message), `the error of ${id} reads "${message}…" (it reads "${text}")`);
  check((await page.locator(`#field-${id} #${id}-error`).count()) === 1, `the error of ${id} sits with its field`);
  for (const control of await controls(page, id).all()) {
    const name = `${id} (${await control.getAttribute('id')})`;
    check((await control.getAttribute('aria-invalid')) === 'true', `${name} is marked aria-invalid="true"`);
    const describedBy = await control.evaluate((el) => el.getAttribute('aria-describedby') ?? el.closest('fieldset')?.getAttribute('aria-describedby') ?? '');
    check(describedBy.split(/\s+/).includes(`${id}-error`), `${name} is described by its error (aria-describedby="${describedBy}")`);
  }
  const summary = page.locator('#error-summary');
  check(await summary.isVisible(), 'the step lists its errors at the top');
  check((await summary.getAttribute('role')) === 'alert', 'the list of errors is announced (role="alert")');
  const link = summary.locator(`a[href="#${id}"]`);
  check((await link.count()) === 1, `the list of errors links to ${id}`);
  check((await link.innerText()).includes(text), `the list repeats the error of ${id}`);
  check((await page.locator(`#${id}`).count()) === 1, `the link's target #${id} exists`);
  const [above, form] = [await summary.boundingBox(), await page.locator('main form[method=post]').last().boundingBox()];
  check(above.y < form.y, 'the list of errors comes before the form');
}

/** The path of the page shown now (the step, the attachments, the summary, ...). */
function here(page) {
  return new URL(page.url()).pathname;
}

// ---------------------------------------------------------------------------------------------
// Attachments, summary, receipt
// ---------------------------------------------------------------------------------------------

/** On the attachments page: chooses `file` (see fixture) for the document `spec`, uploads it. */
export async function attach(page, spec, file) {
  const section = page.locator(`section#${spec}`);
  check((await section.count()) === 1, `the attachments page asks for ${spec}`);
  await section.locator('input[type=file]').setInputFiles(file);
  await navigates(page, () => section.getByRole('button', { name: 'Carica il file' }).click());
  await expectAttached(page, spec, file);
}

/** Back on the attachments page after an upload: `file` is listed under `spec`, removable. */
export async function expectAttached(page, spec, file) {
  const section = page.locator(`section#${spec}`);
  check(here(page).endsWith('/allegati'), `back on the attachments after the upload (at ${page.url()})`);
  check(!(await page.locator(`#${spec}-error`).count()), `${file.name} accepted for ${spec}`);
  check(await section.locator('li').filter({ hasText: `${file.name} (` }).isVisible(), `${file.name} is listed under ${spec}`);
  check(await section.getByRole('button', { name: `Elimina ${file.name}` }).isVisible(), `${file.name} can be removed`);
}

/**
 * On the attachments page: uploads `file` for `spec` and expects it refused with `message`
 * (the start of it), announced, and linked to the file input; the file is not listed.
 */
export async function attachRefused(page, spec, file, message) {
  const section = page.locator(`section#${spec}`);
  await section.locator('input[type=file]').setInputFiles(file);
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/allegati'));
  await navigates(page, () => section.getByRole('button', { name: 'Carica il file' }).click());
  check((await posted).status() === 422, 'the upload is refused (HTTP 422)');
  const error = page.locator(`#${spec}-error`);
  check(await error.isVisible(), `the refusal is shown under ${spec}`);
  const text = (await error.innerText()).trim();
  check(text.startsWith(message), `the refusal reads "${message}…" (it reads "${text}")`);
  check((await error.getAttribute('role')) === 'alert', 'the refusal is announced (role="alert")');
  const input = section.locator('input[type=file]');
  check(((await input.getAttribute('aria-describedby')) ?? '').split(/\s+/).includes(`${spec}-error`), 'the file input is described by the refusal');
  check(!(await section.getByText(file.name).count()), `${file.name} is not listed`);
}

/**
 * The English version of a refused upload, audited (`label` ends in "(en)"): the page of a
 * form with a file cannot be sent again by audit's twin (the browser does not tell the file's
 * bytes), so the same file is uploaded again for `spec` in a browser context of its own with
 * the same session and `lang=en`, and refused again (which changes nothing).
 */
export async function auditRefusedUploadInEnglish(page, spec, file, label) {
  const { cookies, origins } = await page.context().storageState();
  const english = cookies.filter((c) => c.name !== 'lang').concat([{ name: 'lang', value: 'en', domain: new URL(base).hostname, path: '/', expires: -1, httpOnly: false, secure: false, sameSite: 'Lax' }]);
  const ctx = await browser.newContext({ viewport: page.viewportSize(), locale: 'en-GB', storageState: { cookies: english, origins } });
  try {
    const twin = await ctx.newPage();
    twin.setDefaultTimeout(20_000);
    await twin.goto(page.url().split(/[?#]/)[0]);
    const section = twin.locator(`section#${spec}`);
    await section.locator('input[type=file]').setInputFiles(file);
    const posted = twin.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/allegati'));
    await navigates(twin, () => section.getByRole('button', { name: 'Upload the file' }).click());
    check((await posted).status() === 422, 'in English too, the upload is refused (HTTP 422)');
    const text = (await twin.locator(`#${spec}-error`).innerText()).trim();
    check(text.startsWith('This file format is not accepted'), `the refusal is in English (it reads "${text}")`);
    await audit(twin, label, { english: false });
  } finally {
    await ctx.close();
  }
}

/** From the attachments page, "Salva e continua" to the summary, with nothing left to fix. */
export async function toSummary(page) {
  await navigates(page, () => page.getByRole('link', { name: 'Salva e continua' }).click());
  await expectReadyToSend(page);
}

/** On the summary that follows the attachments: nothing left to fix, and it can be sent. */
export async function expectReadyToSend(page) {
  check(here(page).endsWith('/riepilogo'), `the summary follows the attachments (at ${page.url()})`);
  const errors = page.locator('#error-summary');
  check(!(await errors.count()), `the summary has nothing left to fix ${(await errors.count()) ? await errors.innerText() : ''}`);
  check(await page.getByRole('button', { name: 'Invia la richiesta' }).isEnabled(), 'the request can be sent');
}

/** On the summary: each answer of `items` (label → value as shown) is listed; `files` too. */
export async function expectSummary(page, items, files = []) {
  for (const [label, value] of Object.entries(items)) {
    const dd = page.locator('main dl dt').getByText(label, { exact: true }).locator('xpath=following-sibling::dd[1]');
    check((await dd.count()) > 0, `the summary lists "${label}"`);
    const shown = (await dd.first().innerText()).trim();
    check(shown.includes(value), `the summary shows "${label}": "${value}" (it shows "${shown}")`);
  }
  for (const file of files) check(await page.locator('main li').getByText(file.name).isVisible(), `the summary lists ${file.name}`);
}

/** On the summary: "Invia la richiesta", then the receipt (see readReceipt). */
export async function submitAndReceipt(page) {
  await navigates(page, () => page.getByRole('button', { name: 'Invia la richiesta' }).click());
  return readReceipt(page);
}

/**
 * The receipt shown at once after sending: the protocol number in the heading, the
 * confirmation (role="status"), the receipt's details, and the receipt's PDF (fetched: a PDF
 * indeed). Returns the protocol number and the pratica's address.
 */
export async function readReceipt(page) {
  check(/\/area-personale\/pratiche\/[0-9a-f-]{36}$/.test(here(page)), `sending leads to the pratica (at ${page.url()})`);
  const heading = (await page.locator('h1').innerText()).trim();
  const protocol = heading.match(/^Richiesta prot\. (.+)$/)?.[1];
  check(protocol && /\d{7}/.test(protocol), `the heading names the protocol number (it reads "${heading}")`);
  const filed = page.getByRole('status').filter({ hasText: 'Richiesta inviata' });
  check(await filed.isVisible(), 'the page confirms the request was sent (role="status")');
  check((await filed.innerText()).includes(protocol), 'the confirmation names the protocol number');
  const receipt = page.locator('[data-element="receipt"]');
  check(await receipt.getByText(protocol).isVisible(), 'the receipt lists the protocol number');
  for (const term of ['Numero di protocollo', 'Stato', 'Ufficio responsabile', 'Termine del procedimento', 'Se il Comune non risponde']) {
    check((await receipt.locator('dt').getByText(term, { exact: true }).count()) === 1, `the receipt gives "${term}"`);
  }
  check((await receipt.locator('dt:text-is("Stato") + dd').innerText()).trim() === 'Presentata', 'the request is "Presentata"');
  const pdfLink = receipt.getByRole('link', { name: 'Scarica la ricevuta in PDF' });
  check(await pdfLink.isVisible(), 'the receipt offers its PDF');
  const pdf = await page.request.get(new URL(await pdfLink.getAttribute('href'), page.url()).href);
  check(pdf.status() === 200, `the receipt's PDF is served (HTTP ${pdf.status()})`);
  check(pdf.headers()['content-type'] === 'application/pdf', `the receipt is a PDF (content-type ${pdf.headers()['content-type']})`);
  check((await pdf.body()).subarray(0, 5).toString('latin1') === '%PDF-', 'the receipt starts with %PDF-');
  return { protocol, href: page.url() };
}

/** On the receipt: each file is listed with the SHA-256 of what was uploaded. */
export async function expectReceiptAttachments(page, files) {
  for (const file of files) {
    const digest = createHash('sha256').update(file.buffer).digest('hex');
    const item = page.locator('main li', { hasText: file.name });
    check((await item.count()) === 1, `the receipt lists ${file.name}`);
    const shown = await item.innerText();
    check(shown.toLowerCase().includes(digest), `the receipt gives the SHA-256 of ${file.name} (${digest}; it reads "${shown}")`);
  }
}

/** In the personal area (signed in): the request `protocol` is listed, "Presentata". */
export async function expectInPersonalArea(page, tenant, protocol, title) {
  await page.goto(inComune(tenant, '/area-personale/'));
  const row = page.locator('main table tbody tr', { hasText: protocol });
  check((await row.count()) === 1, `the personal area lists ${protocol}`);
  check(await row.getByRole('link', { name: title }).isVisible(), `the row of ${protocol} names "${title}"`);
  check(await row.getByText('Presentata', { exact: true }).isVisible(), `the row of ${protocol} reads "Presentata"`);
}

/**
 * From the attachments page to the personal area, seen (see recorder) on each page: the
 * summary lists `answers` (label → value as shown) and `files`, and passes `onSummary`; the
 * request is sent; the receipt lists the files with their SHA-256; the personal area lists the
 * request under `title`, "Presentata". Returns the protocol number.
 */
export async function sendAndFindInPersonalArea(page, see, { tenant, title, answers, files, onSummary = nothing }) {
  await toSummary(page);
  await expectSummary(page, answers, files);
  await onSummary(page);
  await see(page, 'summary');
  const { protocol } = await submitAndReceipt(page);
  await expectReceiptAttachments(page, files);
  await see(page, 'receipt');
  await expectInPersonalArea(page, tenant, protocol, title);
  return protocol;
}

// ---------------------------------------------------------------------------------------------
// The journeys
// ---------------------------------------------------------------------------------------------

/** What differs between the demo comuni for each permit: titles, streets, options. */
const COMUNI = {
  borgoverde: {
    occupation: 'Occupazione di suolo pubblico',
    parking: 'Permesso di sosta per residenti',
    badge: 'Contrassegno di parcheggio per persone con disabilità (CUDE)',
    ztl: 'Permesso di accesso alla ZTL',
    street: 'Via dei Tigli',
    dehors: 'Tavolini e dehors',
    home: 'Via Roma',
    zone: 'centro-storico',
  },
  valdoro: {
    occupation: "Autorizzazione all'occupazione di suolo pubblico",
    parking: 'Permesso di sosta per residenti e dimoranti',
    badge: 'Contrassegno unico disabili europeo (CUDE)',
    ztl: 'Permessi per le zone a traffico limitato (ZTL)',
    street: 'Via del Duomo',
    dehors: 'Dehors e tavolini',
    home: 'Corso Italia',
    zone: 'ztl-a',
  },
};

export const REQUEST_JOURNEYS = {
  // Anna asks to put the tables of her bar on the pavement (a dehors), found through the
  // "Servizi" menu and the catalogue; she first gives a start date in the past, which is
  // explained next to the field while the rest of the step stays as typed; then the site
  // plan (PDF) and two photographs (JPEG and PNG), the fee in the summary, the receipt.
  async 'apply for public land occupation, from the home page to the receipt'(page, prefix, viewport) {
    const see = recorder(prefix);
    const tenant = comuneFor(viewport);
    const local = COMUNI[tenant];
    await openService(page, tenant, local.occupation, { viewport, via: 'menu', see });
    await startRequest(page, 'Anna Verdi', { see });
    await see(page, 'step applicant');
    await fillStep(page, { applicant_role: 'self' });
    await see(page, 'step place');
    await fillStep(page, { place_kind: 'street', street: local.street, house_number: '8' });
    await see(page, 'step occupation');
    const occupation = { occupation_kind: 'dehors', area_m2: '9,60', purpose: 'Dehors del bar: quattro tavolini con sedie e due ombrelloni.' };
    await fillStep(page, occupation);
    await see(page, 'step dates');
    await fillStep(page, { duration: 'days', start_date: isoDay(-1), end_date: isoDay(60) }, 'error');
    await expectFieldError(page, 'start_date', 'Inserisci una data successiva a oggi.');
    await expectKept(page, { duration: 'days', start_date: isoDay(-1), end_date: isoDay(60) }, 'after the error');
    await see(page, 'step dates with an error');
    await fillStep(page, { start_date: isoDay(30) });
    await see(page, 'step declarations');
    await fillStep(page, { truthful: true, regulation: true, privacy: true }, '/allegati');
    await see(page, 'attachments');
    const plan = fixture('document.pdf', 'planimetria-dehors.pdf');
    const photos = [fixture('photo.jpg', 'foto-marciapiede.jpg'), fixture('photo.png', 'foto-vetrina.png')];
    await attach(page, 'site_plan', plan);
    for (const photo of photos) await attach(page, 'site_photos', photo);
    await see(page, 'attachments uploaded');
    await sendAndFindInPersonalArea(page, see, {
      tenant,
      title: local.occupation,
      answers: { 'Tipo di occupazione': local.dehors, 'Descrivi l\'occupazione': occupation.purpose },
      files: [plan, ...photos],
      onSummary: async () => check(await page.getByRole('heading', { name: 'Calcolo del canone' }).isVisible(), 'the summary shows how the fee is worked out'),
    });
    await see(page, 'personal area');
  },

  // Anna asks for a resident parking permit for her leased car, found with the home page's
  // search: she mistypes the plate with a letter O, which Italian plates never use; the
  // message says so next to the field, keeps the rest, and the leasing contract follows.
  async 'apply for a resident parking permit, from the home page to the receipt'(page, prefix, viewport) {
    const see = recorder(prefix);
    const tenant = comuneFor(viewport);
    const local = COMUNI[tenant];
    await openService(page, tenant, local.parking, { viewport, via: 'search', query: 'sosta', see });
    await startRequest(page, 'Anna Verdi', { via: 'cie', see });
    await see(page, 'step request');
    await fillStep(page, { request_type: 'first' });
    await see(page, 'step residence');
    const residence = { street: local.home, house_number: '21', household_permits: '0', private_parking: 'no' };
    // Valdoro also grants the permit to those who live there without residence.
    if (tenant === 'valdoro') residence.residence_kind = 'resident';
    await fillStep(page, residence);
    await see(page, 'step vehicle');
    await fillStep(page, { plate: 'FO234HL', vehicle_title: 'leased' }, 'error');
    await expectFieldError(page, 'plate', 'La targa non è valida: la lettera O non si usa nelle targhe italiane');
    await expectKept(page, { plate: 'FO234HL', vehicle_title: 'leased' }, 'after the error');
    await see(page, 'step vehicle with an error');
    await fillStep(page, { plate: 'FG234HL' });
    await see(page, 'step declarations');
    await fillStep(page, { truthful: true, conditions: true, privacy: true }, '/allegati');
    await see(page, 'attachments');
    const contract = fixture('document.pdf', 'contratto-leasing.pdf');
    await attach(page, 'vehicle_document', contract);
    await see(page, 'attachments uploaded');
    await sendAndFindInPersonalArea(page, see, { tenant, title: local.parking, answers: { 'Targa del veicolo': 'FG234HL', 'Numero civico': '21' }, files: [contract] });
    await see(page, 'personal area');
  },

  // Sara asks for the disabled badge of her father, found with the catalogue's search: his
  // codice fiscale has a wrong last character, explained while his name stays as typed; then
  // the delegation and the medical certificate (PDF), and the photograph, first as a PDF
  // (refused: a photo must be JPEG or PNG), then as a JPEG.
  async 'apply for a disabled badge (CUDE), from the home page to the receipt'(page, prefix, viewport) {
    const see = recorder(prefix);
    const tenant = comuneFor(viewport);
    const local = COMUNI[tenant];
    await openService(page, tenant, local.badge, { viewport, via: 'catalogue-search', query: 'contrassegno', see });
    await startRequest(page, 'Sara Esposito', { see });
    await see(page, 'step applicant');
    const holder = { applicant_role: 'family', holder_name: 'Giuseppe Esposito', holder_tax_code: 'SPSGPP50A01F839A' };
    await fillStep(page, holder, 'error');
    await expectFieldError(page, 'holder_tax_code', 'Il codice fiscale non è valido');
    await expectKept(page, holder, 'after the error');
    await see(page, 'step applicant with an error');
    await fillStep(page, { holder_tax_code: 'SPSGPP50A01F839V' });
    await see(page, 'step badge');
    await fillStep(page, { badge_type: 'permanent', request_type: 'first' });
    await see(page, 'step plates');
    await fillStep(page, { plates: ['GH345JK'] });
    // Valdoro's badge can be brought home by an officer.
    if (tenant === 'valdoro') {
      await see(page, 'step collection');
      await fillStep(page, { home_delivery: false });
    }
    await see(page, 'step declarations');
    await fillStep(page, { truthful: true, proper_use: true, privacy: true }, '/allegati');
    await see(page, 'attachments');
    const delegation = fixture('document.pdf', 'delega-giuseppe.pdf');
    const certificate = fixture('document.pdf', 'certificato-asl.pdf');
    const photo = fixture('photo.jpg', 'foto-tessera.jpg');
    await attach(page, 'delegation', delegation);
    await attach(page, 'medical_certificate', certificate);
    const notAPhoto = fixture('document.pdf', 'foto-tessera.pdf');
    await attachRefused(page, 'photo', notAPhoto, 'Il formato del file non è ammesso: carica un file JPEG o PNG.');
    await see(page, 'attachments with a refused file', { english: false });
    await auditRefusedUploadInEnglish(page, 'photo', notAPhoto, `${prefix}: attachments with a refused file (en)`);
    await attach(page, 'photo', photo);
    await see(page, 'attachments uploaded');
    await sendAndFindInPersonalArea(page, see, {
      tenant,
      title: local.badge,
      answers: { 'Nome e cognome della persona': 'Giuseppe Esposito', 'Codice fiscale della persona': 'SPSGPP50A01F839V' },
      files: [delegation, certificate, photo],
    });
    await see(page, 'personal area');
  },

  // Sara, who holds a CUDE issued elsewhere, asks for a ZTL permit: after the category and
  // the plates she closes the browser; in a new one she signs in again from the home page,
  // finds the draft in her personal area, and it opens where she left it, with the plates and
  // the category as she gave them. Her last day before the first is explained and corrected;
  // the copy of her badge (JPEG) goes with the request.
  async 'apply for a ZTL permit, resuming the draft after closing the browser'(page, prefix, viewport) {
    const see = recorder(prefix);
    const tenant = comuneFor(viewport);
    const local = COMUNI[tenant];
    await openService(page, tenant, local.ztl, { viewport, via: 'menu', see });
    const draft = await startRequest(page, 'Sara Esposito', { via: 'cie', see });
    await see(page, 'step category');
    await fillStep(page, { category: 'cude' });
    await see(page, 'step vehicles and zones');
    const vehicles = { plates: ['CD456EF', 'EF789GH'], zones: [local.zone] };
    await fillStep(page, vehicles, '/passi/periodo');
    await see(page, 'step period, before closing the browser');
    await page.context().close();

    const ctx = await context('it', VIEWPORTS[viewport]);
    const again = await ctx.newPage();
    again.setDefaultTimeout(20_000);
    try {
      await again.goto(inComune(tenant, '/'));
      await see(again, 'home, in a new browser');
      await navigates(again, () => again.locator('.it-access-top-wrapper a[data-element="personal-area-login"]').click());
      check(here(again) === `/${tenant}/area-personale/`, `the header leads to the personal area (at ${again.url()})`);
      await see(again, 'personal area, signed out');
      await goToIdp(again, 'spid');
      await choosePerson(again, 'Sara Esposito');
      await leaveIdp(again);
      check(here(again) === `/${tenant}/area-personale/`, `back in the personal area (at ${again.url()})`);
      await expectSignedIn(again, 'Sara Esposito');
      check(await again.locator('main').getByRole('heading', { name: 'Richieste in bozza' }).isVisible(), 'the personal area lists the drafts');
      const draftLink = `a[href^="${new URL(draft).pathname}"]`;
      const resume = again.locator(`main ${draftLink}`);
      check((await resume.count()) === 1, 'the draft left in the closed browser is listed');
      check((await resume.innerText()).trim() === local.ztl, `the draft is named after its service (it reads "${await resume.innerText()}")`);
      const listed = await again.locator('main li', { has: again.locator(draftLink) }).innerText();
      check(/salvata il \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/.test(listed), `the draft says when it was saved (it reads "${listed}")`);
      await resume.scrollIntoViewIfNeeded();
      await see(again, 'personal area with the draft');
      await navigates(again, () => resume.click());
      // Where she left off: the last step she sent (or the page after it, which she had open).
      const resumedAt = here(again).slice(new URL(draft).pathname.length);
      check(['/passi/veicoli-e-zone', '/passi/periodo'].includes(resumedAt), `the draft opens where she left off (at ${again.url()})`);
      await see(again, 'draft resumed');
      // The steps already done are open in the steps indicator, with what she gave.
      const steps = again.getByRole('navigation', { name: 'Passaggi della richiesta' });
      if (resumedAt !== '/passi/veicoli-e-zone') {
        await navigates(again, () => steps.getByRole('link', { name: '2. Veicoli e zone' }).click());
      }
      await expectKept(again, vehicles, 'in the resumed draft');
      await navigates(again, () => steps.getByRole('link', { name: '1. Categoria' }).click());
      check(here(again).endsWith('/passi/categoria'), `the steps lead back to the first (at ${again.url()})`);
      await expectKept(again, { category: 'cude' }, 'in the resumed draft');
      await fillStep(again, {}, '/passi/veicoli-e-zone');
      await fillStep(again, {}, '/passi/periodo');
      const period = { start_date: isoDay(3), end_date: isoDay(2), reason: 'Accompagno mio padre alle visite in ospedale.' };
      await fillStep(again, period, 'error');
      const last = tenant === 'valdoro' ? 'Scadenza del contrassegno CUDE' : 'Ultimo giorno del permesso';
      check(await again.locator('label[for="end_date"]').getByText(last).isVisible(), `the last day is "${last}"`);
      await expectFieldError(again, 'end_date', 'La data non può essere precedente a quella indicata in «Primo giorno del permesso».');
      await expectKept(again, period, 'after the error');
      await see(again, 'step period with an error');
      await fillStep(again, { end_date: isoDay(400) });
      await see(again, 'step declarations');
      await fillStep(again, { truthful: true, conditions: true, privacy: true }, '/allegati');
      await see(again, 'attachments');
      const copy = fixture('photo.jpg', 'contrassegno-fronte.jpg');
      await attach(again, 'cude_copy', copy);
      await see(again, 'attachments uploaded');
      await sendAndFindInPersonalArea(again, see, { tenant, title: local.ztl, answers: { 'Targhe dei veicoli': 'CD456EF' }, files: [copy] });
      check(!(await again.locator(`main ${draftLink}`).count()), 'the draft is gone once sent');
      await see(again, 'personal area');
    } catch (error) {
      // run.mjs photographs the page it opened, closed here: the failure is photographed here.
      await shot(again, `${prefix}-FAILED`).catch(() => {});
      throw error;
    } finally {
      await ctx.close();
    }
  },
};
