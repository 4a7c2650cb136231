// A permit from the citizen's first click to the clerk's decision, walked end to end: the
// citizen asks for it from the comune's home page (with the mouse, with the keyboard only, or
// without JavaScript), a clerk finds it in the back office's queue, takes it in charge and
// decides it, and the citizen reads the outcome in the personal area.
//
// Adding a back-office journey: chain the small steps below, e.g.
//
//   async 'end to end: my journey'(page, prefix, viewport) {
//     const tenant = viewport === 'phone' ? 'valdoro' : 'borgoverde';
//     await openServiceFromHome(page, tenant, 'occupazione-suolo-pubblico');
//     await startRequest(page, 'Sara Esposito');                  // "Accedi al servizio", SPID
//     await fillSteps(page, { richiedente: { applicant_role: 'self' }, luogo: { ... }, ... });
//     await attach(page, 'site_photos', fixture('photo.png', 'office-my-photo.png'));
//     await toSummary(page);
//     const { protocol } = await submitAndReceipt(page);          // the receipt
//     await signOut(page);
//     await openOffice(page, tenant, CLERKS.suap);                // home page → back office
//     await openFromQueue(page, protocol);
//     await officeStep(page, 'take-charge', 'In istruttoria');    // the step, the new state
//     await officeStep(page, 'approve', 'In attesa di pagamento');
//     await signOut(page);
//     await signInFromHome(page, tenant, 'Sara Esposito');
//     await openPratica(page, protocol, 'In attesa di pagamento');
//   }
//
// The form's steps, attachments, summary and receipt are requests.mjs's (fillStep, attach,
// toSummary, submitAndReceipt, ...). Each step checks what it leads to and throws otherwise.
// Without JavaScript, pass signInWithoutJs where a step signs someone in (startRequest,
// openOffice, signInFromHome).
// Every journey here has "end to end" in its name, so BROWSER_ONLY="end to end" runs them
// alone; one with "without javascript" in its name runs with JavaScript off, where axe-core
// cannot run: check and screenshot only. Journeys run two at a time: each journey and viewport
// files its request as a citizen, in a comune, of its own, and finds it by protocol number.
// Attachments are the files of fixtures/ (see fixture in requests.mjs): name them "office-…".
import { audit, check, shot } from './lib.mjs';
import { inComune, isoDay, fixture, navigates, fillStep, attach, expectAttached, toSummary, expectReadyToSend, submitAndReceipt, readReceipt } from './requests.mjs';
import { TEST_SPID, signIn, signOut, openSpid, choosePerson, expectSignedIn, expectVisibleFocus } from './auth.mjs';

/** The demo's clerks, by the office they work in (in both demo comuni). */
export const CLERKS = { suap: 'Paolo Gallo', 'polizia-locale': 'Giulia Bianchi' };

const onPratica = (url) => /\/area-personale\/pratiche\/[0-9a-f-]+$/.test(new URL(url).pathname);
const onOfficePratica = (url) => /\/ufficio\/pratiche\/[0-9a-f-]+$/.test(new URL(url).pathname);

// ---------------------------------------------------------------------------------------------
// Signing in
// ---------------------------------------------------------------------------------------------

/**
 * signIn (auth.mjs) without JavaScript: from the sign-in buttons on the page, the SPID list (a
 * <details>), the test IdP, `person`, "Accedi", then "Continua / Continue", which posts the
 * IdP's answer to the comune where autosubmit.js would.
 */
export async function signInWithoutJs(page, person) {
  await openSpid(page);
  await navigates(page, () => page.getByRole('link', { name: TEST_SPID, exact: true }).click());
  check(new URL(page.url()).pathname.startsWith('/_mock/idp/'), `the test IdP (at ${page.url()})`);
  await choosePerson(page, person);
  await navigates(page, () => page.getByRole('button', { name: 'Accedi / Sign in' }).click());
  const go = page.getByRole('button', { name: 'Continua / Continue' });
  check(await go.isVisible(), 'without JavaScript the IdP asks to continue');
  await navigates(page, () => go.click());
  await expectSignedIn(page, person);
}

/**
 * From the comune's home page, the header's "Accedi all'area personale", then `person` signed
 * in (`how`: signIn, or signInWithoutJs); ends in the personal area.
 */
export async function signInFromHome(page, tenant, person, how = signIn) {
  await page.goto(inComune(tenant, '/'));
  await navigates(page, () => page.locator('.it-access-top-wrapper a[data-element="personal-area-login"]').click());
  check(page.url().endsWith(`/${tenant}/area-personale/`), `the header leads to the personal area (at ${page.url()})`);
  await how(page, person);
  check(page.url().endsWith(`/${tenant}/area-personale/`), `back in the personal area after login (at ${page.url()})`);
}

// ---------------------------------------------------------------------------------------------
// The citizen's request, with the mouse (or a finger)
// ---------------------------------------------------------------------------------------------

/**
 * From the comune's home page to the sheet of the service `slug`, through its link in the
 * home page's list of services; returns the service's title.
 */
export async function openServiceFromHome(page, tenant, slug) {
  await page.goto(inComune(tenant, '/'));
  const link = page.locator(`main a[data-element="service-link"][href$="/servizi/${slug}"]`).first();
  const title = (await link.innerText()).trim();
  await navigates(page, () => link.click());
  check(page.url().endsWith(`/${tenant}/servizi/${slug}`), `the home page leads to the sheet of ${slug} (at ${page.url()})`);
  check((await page.locator('[data-element="service-title"]').innerText()) === title, `the sheet of ${title}`);
  return title;
}

/**
 * On a service sheet: "Accedi al servizio", `person` signed in there (`how`: signIn, or
 * signInWithoutJs), then "Inizia una nuova richiesta"; ends on the first step of the form.
 */
export async function startRequest(page, person, how = signIn) {
  await navigates(page, () => page.locator('[data-element="service-online-access"]').first().click());
  check(page.url().endsWith('/richiesta'), `"Accedi al servizio" leads to the request page (at ${page.url()})`);
  await how(page, person);
  check(page.url().endsWith('/richiesta'), `back on the request page after login (at ${page.url()})`);
  await navigates(page, () => page.getByRole('button', { name: 'Inizia una nuova richiesta' }).click());
  check(/\/passi\/[^/]+$/.test(page.url()), `the first step of the form (at ${page.url()})`);
}

/** The id of the step of the form the page shows (`richiedente`, `luogo`, ...), or the page. */
export function currentStep(page) {
  return new URL(page.url()).pathname.split('/').pop();
}

/**
 * Fills the form step after step until its end (the attachments or the summary): `byStep`
 * has the answers of each step by id (a comune may ask one more step: give it, even empty).
 * `onStep(id)` runs on each step before it is filled (an audit, say).
 */
export async function fillSteps(page, byStep, onStep) {
  for (let step = currentStep(page); !['allegati', 'riepilogo'].includes(step); step = currentStep(page)) {
    check(step in byStep, `answers for the step "${step}"`);
    if (onStep) await onStep(step);
    await fillStep(page, byStep[step]);
  }
}

/** On a pratica in the personal area: its state, as the receipt gives it. */
export async function praticaState(page) {
  return (await page.locator('[data-element="receipt"] dt:text-is("Stato") + dd').innerText()).trim();
}

// ---------------------------------------------------------------------------------------------
// The citizen's request, with the keyboard only: Tab to each control, checking that its focus
// is visible (as 'sign in with the keyboard only' does in auth.mjs), then the keys a person
// uses. No click, no fill.
// ---------------------------------------------------------------------------------------------

/**
 * Presses Tab until one of the elements of `locator` has the focus (at most `max` times; Tab
 * stops once in a radio group, on the checked button or else the first), then checks that the
 * focus is visible. Returns the index of the focused element among them.
 */
export async function tabToVisible(page, locator, what, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const index = await locator.evaluateAll((els) => els.indexOf(document.activeElement));
    if (index >= 0) {
      await expectVisibleFocus(locator.nth(index), what);
      return index;
    }
  }
  throw new Error(`${what} not reached with ${max} presses of Tab`);
}

/**
 * Tab to a link or a button, Enter, and wait for the page it leads to; `snap`, if given, runs
 * while it has the focus (a screenshot, say).
 */
export async function keyFollow(page, locator, what, snap) {
  await tabToVisible(page, locator, what);
  if (snap) await snap();
  await navigates(page, () => page.keyboard.press('Enter'));
}

/**
 * On a page just opened: the first Tab reaches the skip link ("Vai ai contenuti"), its focus
 * visible (`snap` runs then); Enter follows it, and the next Tab is inside <main>.
 */
export async function skipToContent(page, snap) {
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Vai ai contenuti' });
  check(await skip.evaluate((el) => el === document.activeElement), 'the first Tab reaches "Vai ai contenuti"');
  await expectVisibleFocus(skip, 'the skip link');
  if (snap) await snap();
  const target = (await skip.getAttribute('href')).slice(1);
  check((await page.locator(`main#${target}`).count()) === 1, 'the skip link points to <main>');
  await page.keyboard.press('Enter');
  check(new URL(page.url()).hash === `#${target}`, 'Enter follows the skip link');
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => Boolean(document.activeElement.closest('main'))), 'after the skip link, Tab goes on inside the main content');
}

/**
 * In a radio group (`radios`, in order): Tab into it, and choose the one at `index` with the
 * arrow keys (Space when the focus is already on it).
 */
export async function keyRadio(page, radios, index, what) {
  let at = await tabToVisible(page, radios, what);
  if (at === index) await page.keyboard.press('Space');
  for (; at < index; at++) await page.keyboard.press('ArrowDown');
  check(await radios.nth(index).isChecked(), `${what}: the arrow keys choose option ${index + 1}`);
  await expectVisibleFocus(radios.nth(index), what);
}

/** From the sign-in buttons: SPID (Enter opens it), the test IdP, `person`, Space on "Accedi". */
export async function keySignIn(page, person) {
  await tabToVisible(page, page.locator('summary.sportello-spid-button'), 'the SPID button');
  await page.keyboard.press('Enter');
  check(await page.locator('details.sportello-spid').evaluate((d) => d.open), 'Enter opens the SPID list');
  await keyFollow(page, page.getByRole('link', { name: TEST_SPID, exact: true }), 'the test IdP');
  const people = page.getByRole('radio');
  const names = await people.evaluateAll((els) => els.map((el) => el.labels[0]?.innerText ?? ''));
  const index = names.findIndex((name) => name.startsWith(person));
  check(index >= 0, `the test IdP lists ${person}`);
  await keyRadio(page, people, index, `${person} at the IdP`);
  await tabToVisible(page, page.getByRole('button', { name: 'Accedi / Sign in' }), '"Accedi / Sign in"', 3);
  const acs = page.waitForResponse((r) => r.url().endsWith('/saml/acs') && r.request().method() === 'POST');
  await page.keyboard.press('Space');
  check((await acs).status() === 303, 'the comune accepts the login');
  await page.waitForURL((url) => !url.pathname.startsWith('/_mock/') && !url.pathname.endsWith('/saml/acs'));
  await page.waitForLoadState('load');
  await expectSignedIn(page, person);
}

/**
 * A date as typed in the browser's date field: day, month and year in the order the field
 * shows them (day first in Italian, month first in a browser whose own language is American
 * English), read from the field's spin buttons in the accessibility tree.
 */
async function typedDate(page, iso) {
  const [y, m, d] = iso.split('-');
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    const order = nodes
      .filter((node) => node.role?.value === 'spinbutton')
      .map((node) => node.name?.value ?? '')
      .map((name) => (/month|mese/i.test(name) ? m : /day|giorno/i.test(name) ? d : /year|anno/i.test(name) ? y : ''))
      .filter(Boolean)
      .slice(0, 3);
    return order.length === 3 ? order.join('') : d + m + y;
  } finally {
    await cdp.detach();
  }
}

/** One field of a step (as in setField), with the keyboard only. */
export async function keyField(page, id, value) {
  const field = page.locator(`#field-${id}`);
  const what = `the field ${id}`;
  if (await field.locator('input[type=radio]').count()) {
    const radios = field.locator('input[type=radio]');
    const values = await radios.evaluateAll((els) => els.map((el) => el.value));
    check(values.includes(value), `${id} offers "${value}"`);
    await keyRadio(page, radios, values.indexOf(value), what);
  } else if (Array.isArray(value) && (await field.locator('input[type=checkbox]').count())) {
    for (const v of value) {
      const box = field.locator(`input[value="${v}"]`);
      await tabToVisible(page, box, `${what}: ${v}`);
      await page.keyboard.press('Space');
      check(await box.isChecked(), `${what}: Space ticks ${v}`);
    }
  } else if (await field.locator('input[type=checkbox]').count()) {
    const box = field.locator(`#${id}`);
    await tabToVisible(page, box, what);
    if ((await box.isChecked()) !== Boolean(value)) await page.keyboard.press('Space');
    check((await box.isChecked()) === Boolean(value), `${what}: Space ticks it`);
  } else if (await field.locator('select').count()) {
    const select = field.locator('select');
    await tabToVisible(page, select, what);
    const chosen = () => select.evaluate((el) => el.selectedOptions[0]?.label.trim());
    const count = await select.locator('option').count();
    for (let i = 0; i < count && (await chosen()) !== value; i++) await page.keyboard.press('ArrowDown');
    check((await chosen()) === value, `${what}: the arrow keys choose "${value}"`);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      await tabToVisible(page, page.locator(`#${id}-${i + 1}`), `${what} ${i + 1}`);
      await page.keyboard.type(v);
    }
  } else {
    const input = page.locator(`#${id}`);
    await tabToVisible(page, input, what);
    const date = (await input.getAttribute('type')) === 'date';
    await page.keyboard.type(date ? await typedDate(page, value) : value);
    const typed = await input.inputValue();
    check(typed === value, `${what}: typed "${value}" (it holds "${typed}")`);
  }
}

/**
 * fillSteps with the keyboard only: each step's fields, then Tab to "Salva e continua" and
 * Enter (`snap(id)`, if given, runs while it has the focus). On the steps listed in `enter`,
 * Enter is pressed in the last field typed instead, as people do, and should save and go on
 * like "Salva e continua": if it leads elsewhere, that is noted in the list returned, and the
 * walk goes on from where it led.
 */
export async function keySteps(page, byStep, { snap, enter = [] } = {}) {
  const problems = [];
  const tried = new Set();
  for (let step = currentStep(page); !['allegati', 'riepilogo'].includes(step); step = currentStep(page)) {
    check(step in byStep, `answers for the step "${step}"`);
    const before = new URL(page.url()).pathname;
    for (const [id, value] of Object.entries(byStep[step])) await keyField(page, id, value);
    if (enter.includes(step) && !tried.has(step)) {
      tried.add(step);
      const field = await page.evaluate(() => document.activeElement.id);
      await navigates(page, () => page.keyboard.press('Enter'));
      const [next, order] = [currentStep(page), Object.keys(byStep)];
      const back = order.includes(next) && order.indexOf(next) <= order.indexOf(step);
      if (back || (await page.locator('#error-summary').count())) {
        problems.push(`Enter in the field ${field} of the step "${step}" leads to "${next}", not to the next step`);
      }
      continue;
    }
    await keyFollow(page, page.getByRole('button', { name: 'Salva e continua' }), `"Salva e continua" on ${step}`, snap && (() => snap(step)));
    const now = new URL(page.url()).pathname;
    check(now !== before && !(await page.locator('#error-summary').count()), `the step ${step} is accepted (now at ${now})`);
  }
  return problems;
}

/**
 * On the attachments page, with the keyboard only: Tab to the file field of `spec`, Space
 * opens the system's file dialog (Playwright answers it with `file`: the dialog is the
 * operating system's, not the page's), then Tab to "Carica il file" (`snap` runs while it has
 * the focus) and Enter.
 */
export async function keyAttach(page, spec, file, snap) {
  const section = page.locator(`section#${spec}`);
  const input = section.locator('input[type=file]');
  // Waiting for the dialog is what makes Playwright intercept it, and that is set up in the
  // browser asynchronously: started before the Tabs, it is in place by the Space.
  const chooser = page.waitForEvent('filechooser', { timeout: 60_000 });
  chooser.catch(() => {}); // (if the Tabs fail first, that is the error reported)
  await tabToVisible(page, input, `the file field of ${spec}`);
  await page.keyboard.press('Space');
  await (await chooser).setFiles(file);
  check((await input.evaluate((el) => el.files[0]?.name)) === file.name, `${file.name} chosen for ${spec}`);
  await keyFollow(page, section.getByRole('button', { name: 'Carica il file' }), `"Carica il file" for ${spec}`, snap);
  await expectAttached(page, spec, file);
}

// ---------------------------------------------------------------------------------------------
// The back office
// ---------------------------------------------------------------------------------------------

/**
 * From the comune's home page to the back office's queue as `clerk` (`how`: signIn, or
 * signInWithoutJs): signed in from the header, then the personal area's link to the office.
 */
export async function openOffice(page, tenant, clerk, how = signIn) {
  await signInFromHome(page, tenant, clerk, how);
  await navigates(page, () => page.getByRole('link', { name: 'Ufficio – pratiche' }).click());
  check(page.url().endsWith(`/${tenant}/ufficio/`), `the personal area leads to the back office (at ${page.url()})`);
  check(await page.getByRole('heading', { level: 1, name: 'Ufficio – pratiche' }).isVisible(), 'the queue of the back office');
}

/**
 * In the queue: searches `protocol` (the filter "Protocollo, nome o codice fiscale"), checks
 * its row shows each of `expected` (texts), and opens the pratica.
 */
export async function openFromQueue(page, protocol, expected = []) {
  await page.getByLabel('Protocollo, nome o codice fiscale').fill(protocol);
  await navigates(page, () => page.getByRole('button', { name: 'Filtra' }).click());
  check(new URL(page.url()).searchParams.get('testo') === protocol, `the queue is filtered by ${protocol} (at ${page.url()})`);
  const row = page.locator('main tbody tr', { hasText: protocol });
  check((await row.count()) === 1, `the queue finds ${protocol}`);
  for (const text of expected) check(await row.getByText(text).first().isVisible(), `the row of ${protocol} shows "${text}"`);
  await navigates(page, () => row.getByRole('link', { name: protocol }).click());
  check(onOfficePratica(page.url()), `the pratica opens (at ${page.url()})`);
  check((await detail(page, 'Numero di protocollo')).startsWith(`${protocol} – `), `the pratica of ${protocol}`);
}

/** On a pratica in the back office: the value next to `term` ("Stato", "Assegnata a", ...). */
export async function detail(page, term) {
  return (await page.locator('main dl').first().locator(`dt:text-is("${term}") + dd`).innerText()).trim();
}

/** The form of one of the office's steps on a pratica (`take-charge`, `approve`, ...). */
export function stepForm(page, step) {
  return page.locator(`main form[action$="/azioni/${step}"]`);
}

/**
 * On a pratica in the back office: takes `step` (writing `text` first, if given) and checks
 * the pratica is then in `state`.
 */
export async function officeStep(page, step, state, text) {
  const form = stepForm(page, step);
  check((await form.count()) === 1, `the office is offered the step ${step}`);
  if (text !== undefined) await form.locator('textarea[name="text"]').fill(text);
  await navigates(page, () => form.getByRole('button').click());
  check(onOfficePratica(page.url()), `back on the pratica after ${step} (at ${page.url()})`);
  const error = page.locator('#action-error');
  check(!(await error.count()), `${step} is accepted${(await error.count()) ? `: ${await error.innerText()}` : ''}`);
  const now = await detail(page, 'Stato');
  check(now === state, `after ${step} the pratica is "${state}" (it is "${now}")`);
}

// ---------------------------------------------------------------------------------------------
// The citizen reads the outcome
// ---------------------------------------------------------------------------------------------

/**
 * In the personal area (signed in, see signInFromHome): the row of `protocol` shows `state`;
 * opens it, and the pratica reads the same state.
 */
export async function openPratica(page, protocol, state) {
  check(page.url().endsWith('/area-personale/'), `in the personal area (at ${page.url()})`);
  const row = page.locator('main table tbody tr', { hasText: protocol });
  check((await row.count()) === 1, `the personal area lists ${protocol}`);
  check(await row.getByText(state, { exact: true }).isVisible(), `the personal area shows ${protocol} as "${state}"`);
  await navigates(page, () => row.getByRole('link').first().click());
  check(onPratica(page.url()), `the pratica opens (at ${page.url()})`);
  const shown = await praticaState(page);
  check(shown === state, `the pratica reads "${state}" (it reads "${shown}")`);
}

// ---------------------------------------------------------------------------------------------
// The journeys
// ---------------------------------------------------------------------------------------------

/** Scaffolding for works on a facade: the site plan is required. */
const SCAFFOLDING = (tenant) => ({
  richiedente: { applicant_role: 'self' },
  luogo: { place_kind: 'street', street: tenant === 'valdoro' ? 'Via dei Mercanti' : 'Via dei Tigli', house_number: '12' },
  occupazione: { occupation_kind: 'cantiere', area_m2: '6,5', purpose: 'Ponteggio per il rifacimento della facciata; impresa Edilnova.' },
  'date-e-orari': { duration: 'days', start_date: isoDay(40), end_date: isoDay(54) },
  dichiarazioni: { truthful: true, regulation: true, privacy: true },
});

/** A house move over two days: photographs only. */
const HOUSE_MOVE = (tenant) => ({
  richiedente: { applicant_role: 'self' },
  luogo: { place_kind: 'street', street: tenant === 'valdoro' ? 'Corso Italia' : 'Via Roma', house_number: '7/B' },
  occupazione: { occupation_kind: 'trasloco', area_m2: '12', purpose: 'Furgone per il trasloco di un appartamento al secondo piano.' },
  'date-e-orari': { duration: 'days', start_date: isoDay(25), end_date: isoDay(26) },
  dichiarazioni: { truthful: true, regulation: true, privacy: true },
});

/** A permanent disabled badge asked by a son for his father (Valdoro asks how to collect it). */
const BADGE = {
  richiedente: { applicant_role: 'family', holder_name: 'Giovanni Ferri', holder_tax_code: 'FRRGNN45C10D969T' },
  contrassegno: { badge_type: 'permanent', request_type: 'first' },
  targhe: { plates: ['FE456GH'] },
  ritiro: {},
  dichiarazioni: { truthful: true, proper_use: true, privacy: true },
};

export const OFFICE_JOURNEYS = {
  // Sara asks to put up scaffolding (the desktop run in Borgoverde, the phone run in Valdoro),
  // with the site plan and a photograph; the SUAP's clerk, from the home page, finds it in the
  // queue, takes it in charge and approves it, seeing first what Sara will pay; Sara, signed
  // in again, finds it approved and waiting for the fee. Every page is audited.
  async 'end to end: the clerk decides a request in the back office'(page, prefix, viewport) {
    const tenant = viewport === 'phone' ? 'valdoro' : 'borgoverde';
    const citizen = 'Sara Esposito';
    const clerk = CLERKS.suap;
    const label = (what) => `${what} (it, ${viewport})`;
    await openServiceFromHome(page, tenant, 'occupazione-suolo-pubblico');
    await audit(page, label('service sheet'));
    await shot(page, `${prefix}-1-sheet`);
    await startRequest(page, citizen);
    await fillSteps(page, SCAFFOLDING(tenant), (step) => audit(page, label(`request step ${step}`)));
    check(currentStep(page) === 'allegati', 'the attachments come after the form');
    await attach(page, 'site_plan', fixture('document.pdf', 'office-site-plan.pdf'));
    await attach(page, 'site_photos', fixture('photo.png', 'office-site-photo.png'));
    await audit(page, label('request attachments, uploaded'));
    await shot(page, `${prefix}-2-attachments`);
    await toSummary(page);
    check(await page.getByText('office-site-plan.pdf').isVisible(), 'the summary lists the site plan');
    await audit(page, label('request summary'));
    await shot(page, `${prefix}-3-summary`);
    const { protocol } = await submitAndReceipt(page);
    await audit(page, label('receipt'));
    await shot(page, `${prefix}-4-receipt`);
    await signOut(page);

    await openOffice(page, tenant, clerk);
    await audit(page, label('back office queue'));
    await shot(page, `${prefix}-5-queue`);
    await openFromQueue(page, protocol, ['Presentata', citizen]);
    check((await detail(page, 'Assegnata a')) === 'Non assegnata', 'nobody has it in charge yet');
    check(await page.getByRole('link', { name: 'office-site-plan.pdf' }).isVisible(), 'the clerk finds the site plan');
    await audit(page, label('back office pratica, submitted'));
    await shot(page, `${prefix}-6-pratica`);
    await officeStep(page, 'take-charge', 'In istruttoria');
    check((await detail(page, 'Assegnata a')) === clerk, 'the clerk has it in charge');
    const due = await stepForm(page, 'approve').locator('p[id^="note-"]').innerText();
    check(/dovrà pagare € ?\d/.test(due), `before approving, the clerk reads what the applicant will pay ("${due}")`);
    await audit(page, label('back office pratica, in review'));
    await shot(page, `${prefix}-7-in-review`);
    await officeStep(page, 'approve', 'In attesa di pagamento', 'Lasciare libero un passaggio pedonale di almeno 1,5 m.');
    check(await page.getByText('Richiesta accolta').first().isVisible(), 'the history records the approval');
    await audit(page, label('back office pratica, approved'));
    await shot(page, `${prefix}-8-approved`);
    await signOut(page);

    await signInFromHome(page, tenant, citizen);
    await openPratica(page, protocol, 'In attesa di pagamento');
    check(await page.locator('#cronologia').getByText('Richiesta accolta').isVisible(), 'the citizen reads that the request was approved');
    check(await page.locator('#cronologia').getByText('Lasciare libero un passaggio pedonale').isVisible(), "the citizen reads the clerk's note");
    check(await page.locator('[data-element="pratica-payments"]').isVisible(), 'the citizen is told what to pay');
    await audit(page, label('pratica approved, for the citizen'));
    await shot(page, `${prefix}-9-outcome`);
  },

  // Anna asks for a house move (the desktop run in Borgoverde, the phone run in Valdoro) from
  // the home page to the receipt with the keyboard only: the skip link first, then Tab to each
  // control, its focus visible, and Enter, Space, the arrow keys and typing; the photograph is
  // chosen in the system's file dialog, opened with Space on the file field. On the place's
  // step Enter in the house number sends the step, as in any form.
  async 'end to end: a permit request with the keyboard only'(page, prefix, viewport) {
    const tenant = viewport === 'phone' ? 'valdoro' : 'borgoverde';
    let n = 0;
    const snap = (what) => () => shot(page, `${prefix}-${++n}-${what}`);
    await page.goto(inComune(tenant, '/'));
    await skipToContent(page, snap('skip-link'));
    await snap('in-main-content')();
    const service = page.locator('main a[data-element="service-link"][href$="/servizi/occupazione-suolo-pubblico"]');
    await keyFollow(page, service, 'the service in the home page', snap('service'));
    check(page.url().endsWith(`/${tenant}/servizi/occupazione-suolo-pubblico`), `Enter opens the service sheet (at ${page.url()})`);
    await keyFollow(page, page.locator('[data-element="service-online-access"]').first(), '"Accedi al servizio"', snap('online-access'));
    check(page.url().endsWith('/richiesta'), `Enter leads to the request page (at ${page.url()})`);
    await keySignIn(page, 'Anna Verdi');
    check(page.url().endsWith('/richiesta'), `back on the request page after login (at ${page.url()})`);
    await keyFollow(page, page.getByRole('button', { name: 'Inizia una nuova richiesta' }), '"Inizia una nuova richiesta"', snap('start'));
    const problems = await keySteps(page, HOUSE_MOVE(tenant), { snap: (step) => snap(`step-${step}`)(), enter: ['luogo'] });
    check(currentStep(page) === 'allegati', 'the attachments come after the form');
    await keyAttach(page, 'site_photos', fixture('photo.png', 'office-keyboard-photo.png'), snap('upload'));
    await keyFollow(page, page.getByRole('link', { name: 'Salva e continua' }), '"Salva e continua" after the attachments', snap('attached'));
    await expectReadyToSend(page);
    await keyFollow(page, page.getByRole('button', { name: 'Invia la richiesta' }), '"Invia la richiesta"', snap('send'));
    await readReceipt(page);
    await snap('receipt')();
    check(!problems.length, problems.join('; '));
  },

  // With JavaScript off, Stefano asks for a disabled badge for his father (the desktop run in
  // Valdoro, the phone run in Borgoverde): the service from the home page, the login with the
  // IdP's "Continua", a codice fiscale with a wrong check character refused next to its field
  // and kept as typed, then corrected, the three attachments, the receipt. The Local Police's
  // clerk, still without JavaScript, finds it, sees the medical certificate marked as health
  // data, takes it in charge, approves it (nothing to pay) and issues the badge; Stefano finds
  // it issued, with the permit to download. (axe-core needs JavaScript: see run.mjs.)
  async 'end to end: request a disabled badge and issue it without javascript'(page, prefix, viewport) {
    const tenant = viewport === 'phone' ? 'borgoverde' : 'valdoro';
    const citizen = 'Stefano Ferri';
    const clerk = CLERKS['polizia-locale'];
    await openServiceFromHome(page, tenant, 'contrassegno-disabili');
    await startRequest(page, citizen, signInWithoutJs);
    check(currentStep(page) === 'richiedente', 'the first step asks who is applying');
    check(await page.getByLabel(/Codice fiscale della persona/).isVisible(), "without JavaScript the holder's fields are shown at once");
    await shot(page, `${prefix}-1-first-step`);

    const wrong = 'FRRGNN45C10D969X';
    await fillStep(page, { ...BADGE.richiedente, holder_tax_code: wrong }, 'error');
    const field = page.getByLabel(/Codice fiscale della persona/);
    const error = page.locator('#holder_tax_code-error');
    check(await error.isVisible(), 'the error is shown next to the field');
    check((await error.innerText()).includes('codice fiscale non è valido'), `the error says what is wrong ("${await error.innerText()}")`);
    check(await page.locator('#error-summary a[href="#holder_tax_code"]').isVisible(), 'the summary of errors links to the field');
    check((await field.inputValue()) === wrong, 'the codice fiscale typed is kept');
    check((await page.getByLabel(/Nome e cognome della persona/).inputValue()) === BADGE.richiedente.holder_name, 'the name typed is kept');
    check(await page.locator('#applicant_role-2').isChecked(), 'the choice made is kept');
    check((await field.getAttribute('aria-invalid')) === 'true', 'the field is marked invalid');
    check((await field.getAttribute('aria-describedby')).split(' ').includes('holder_tax_code-error'), 'the error describes the field');
    await field.scrollIntoViewIfNeeded();
    await shot(page, `${prefix}-2-error`);
    await fillStep(page, { holder_tax_code: BADGE.richiedente.holder_tax_code });
    await fillSteps(page, BADGE);
    check(currentStep(page) === 'allegati', 'the attachments come after the form');
    await attach(page, 'medical_certificate', fixture('document.pdf', 'office-medical-certificate.pdf'));
    await attach(page, 'photo', fixture('photo.png', 'office-photo.png'));
    await attach(page, 'delegation', fixture('document.pdf', 'office-delegation.pdf'));
    await shot(page, `${prefix}-3-attachments`);
    await toSummary(page);
    check(await page.getByText('FRRGNN45C10D969T').isVisible(), 'the summary shows the corrected codice fiscale');
    await shot(page, `${prefix}-4-summary`);
    const { protocol } = await submitAndReceipt(page);
    await shot(page, `${prefix}-5-receipt`);
    await signOut(page);

    await openOffice(page, tenant, clerk, signInWithoutJs);
    await shot(page, `${prefix}-6-queue`);
    await openFromQueue(page, protocol, ['Presentata', citizen]);
    const certificate = page.locator('main li', { has: page.getByRole('link', { name: 'office-medical-certificate.pdf' }) });
    check(await certificate.getByText('dati sanitari: accesso registrato').isVisible(), 'the medical certificate is marked as health data');
    await shot(page, `${prefix}-7-pratica`);
    await officeStep(page, 'take-charge', 'In istruttoria');
    const due = await stepForm(page, 'approve').locator('p[id^="note-"]').innerText();
    check(due.includes('non è dovuto alcun importo'), `before approving, the clerk reads that nothing is due ("${due}")`);
    await officeStep(page, 'approve', 'Accolta');
    await officeStep(page, 'issue-permit', 'Autorizzazione rilasciata');
    const permit = page.getByRole('link', { name: 'Scarica il permesso in PDF' });
    check(await permit.isVisible(), 'the clerk can download the permit');
    const pdf = await page.request.get(new URL(await permit.getAttribute('href'), page.url()).href);
    check(pdf.status() === 200 && pdf.headers()['content-type'] === 'application/pdf', 'the permit is a PDF');
    await shot(page, `${prefix}-8-issued`);
    await signOut(page);

    await signInFromHome(page, tenant, citizen, signInWithoutJs);
    await openPratica(page, protocol, 'Autorizzazione rilasciata');
    await shot(page, `${prefix}-9-outcome`);
    const own = await page.request.get(`${page.url()}/permesso.pdf`);
    check(own.status() === 200 && own.headers()['content-type'] === 'application/pdf', "the citizen's permit is a PDF");
    // docs/online-requests.md: "issued permits are downloaded from …/permesso.pdf".
    check((await page.locator('main a[href$="/permesso.pdf"]').count()) === 1, 'the pratica links the permit to download');
  },
};
