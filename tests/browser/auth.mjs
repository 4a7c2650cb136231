// SPID and CIE login in the browser, against the demo's test identity provider (/_mock/idp/):
// small steps to compose journeys with (signIn, signOut, tabTo, ...), the login journeys, and
// the walk that audits the pages around login in English with axe-core (the journeys audit
// them in Italian).
//
// A new journey with a signed-in person is a few lines:
//
//   async 'my journey'(page, prefix) {
//     await openSignInFromHome(page);                 // the home page, then "Accedi"
//     await signIn(page, 'Anna Verdi', 'cie');       // from the sign-in buttons on that page
//     ...
//     await signOut(page);
//   }
import { base, audit, check, shot, expectLang } from './lib.mjs';

export const TENANT = 'borgoverde';
export const TEST_SPID = 'IdP di prova (demo)';

/** The address of `path` in the demo comune. */
export function comune(path = '/') {
  return `${base}/${TENANT}${path}`;
}

const onIdp = (url) => url.pathname.startsWith('/_mock/idp/');
const backFromIdp = (url) => !url.pathname.startsWith('/_mock/') && !url.pathname.endsWith('/saml/login');

/**
 * From the comune's home page (`tenant`, the demo comune unless said) to its sign-in buttons,
 * as a person goes: the header's link to the personal area, which asks to sign in.
 */
export async function openSignInFromHome(page, tenant = TENANT) {
  await page.goto(`${base}/${tenant}/`);
  await page.locator('.it-access-top-wrapper a[data-element="personal-area-login"]').click();
  await page.waitForURL(`**/${tenant}/area-personale/`);
}

/** Opens the SPID button's list of identity providers (a <details>) with a click, if closed. */
export async function openSpid(page) {
  if (!(await page.locator('details.sportello-spid').evaluate((d) => d.open))) {
    await page.locator('summary.sportello-spid-button').click();
  }
  check(await page.locator('details.sportello-spid').evaluate((d) => d.open), 'the SPID button opens the list of providers');
}

/**
 * From a page showing the sign-in buttons, to the test IdP's login page: through the SPID
 * list (`via = 'spid'`) or the CIE button (`via = 'cie'`).
 */
export async function goToIdp(page, via = 'spid') {
  if (via === 'spid') {
    await openSpid(page);
    await page.getByRole('link', { name: TEST_SPID, exact: true }).click();
  } else {
    await page.getByRole('link', { name: /Entra con CIE|Sign in with CIE/ }).click();
  }
  await page.waitForURL(onIdp);
  const expected = via === 'spid' ? 'Accesso con SPID di prova' : 'Accesso con CIE di prova';
  check((await page.locator('h1').innerText()) === expected, `the IdP page reads "${expected}"`);
}

/** On the IdP's login page: choose `person` (as listed, "Mario Rossi") with a click. */
export async function choosePerson(page, person) {
  // Bootstrap Italia draws the radio on its label (the input itself is transparent).
  await page.locator('.form-check label', { hasText: person }).click();
  check(await page.getByRole('radio', { name: new RegExp(`^${person} `) }).isChecked(), `${person} chosen`);
}

/**
 * On the IdP's login page: press `button` ('Accedi / Sign in' or 'Annulla / Cancel') and wait
 * until the browser is back at the comune (the response is posted there by autosubmit.js).
 * Returns the comune's answer to that post, `/saml/acs`.
 */
export async function leaveIdp(page, button = 'Accedi / Sign in') {
  const acs = page.waitForResponse((r) => r.url().endsWith('/saml/acs') && r.request().method() === 'POST');
  await page.getByRole('button', { name: button }).click();
  const response = await acs;
  await page.waitForURL(backFromIdp);
  await page.waitForLoadState('load');
  return response;
}

/**
 * Signs `person` in through the test IdP, by SPID or CIE, from the sign-in buttons on the
 * current page (or from the comune's sign-in page when the current page has none), and checks
 * the header then shows the name. Returns where the login came back to.
 */
export async function signIn(page, person, via = 'spid') {
  if (!(await page.locator('[data-element="personal-area-login"].sportello-sign-in').count())) {
    await page.goto(comune('/accedi'));
  }
  await goToIdp(page, via);
  await choosePerson(page, person);
  const acs = await leaveIdp(page);
  check(acs.status() === 303, `the comune accepts the login (HTTP ${acs.status()})`);
  await expectSignedIn(page, person);
  return new URL(page.url()).pathname;
}

/** The header shows who is signed in (the name is text on a desktop, the label on a phone). */
export async function expectSignedIn(page, person) {
  const account = page.locator('.it-access-top-wrapper a');
  const label = await account.getAttribute('aria-label');
  check(label?.includes(person), `the header's account link names ${person} (it reads "${label}")`);
  if ((page.viewportSize()?.width ?? 0) >= 992) {
    check((await account.innerText()).trim() === person, `the header shows ${person}`);
  }
  check(await logoutButton(page).isVisible(), 'the header offers "Esci"');
}

export function logoutButton(page) {
  return page.locator('button.sportello-logout');
}

/**
 * Presses "Esci" and follows the single logout through the IdP back to the comune's
 * logged-out page. Returns the addresses the browser went through.
 */
export async function signOut(page) {
  const visited = [];
  // Redirects included: each hop is a navigation request of its own.
  const record = (request) => request.isNavigationRequest() && request.frame() === page.mainFrame() && visited.push(request.url());
  page.on('request', record);
  await logoutButton(page).click();
  await page.waitForURL((url) => url.pathname.endsWith('/saml/slo'));
  await page.waitForLoadState('load');
  page.off('request', record);
  check(await page.locator('h1', { hasText: /^(Sei uscito|You have signed out)$/ }).isVisible(), 'the logged-out page');
  check(!(await logoutButton(page).count()), 'no "Esci" once signed out');
  return visited;
}

/** Presses Tab until `locator` has the focus (at most `max` times); only the keyboard moves. */
export async function tabTo(page, locator, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await locator.evaluate((el) => el === document.activeElement)) return i + 1;
  }
  throw new Error(`${locator} not reached with ${max} presses of Tab`);
}

/**
 * The focus indicator of an element as drawn once its transitions are over (for Bootstrap
 * Italia's radio buttons and checkboxes, on the label that draws them): the width of a
 * visible outline, the widest opaque box-shadow ring, and whether :focus-visible applies.
 */
function ring(locator) {
  return locator.evaluate(async (el) => {
    const drawn = el.matches('.form-check [type=radio], .form-check [type=checkbox]') ? el.nextElementSibling : el;
    await Promise.all(drawn.getAnimations().map((a) => a.finished.catch(() => {})));
    const s = getComputedStyle(drawn);
    const alpha = (color) => {
      const parts = color.match(/[\d.]+/g) || [];
      return color.startsWith('rgba') ? Number(parts[3]) : color === 'transparent' ? 0 : 1;
    };
    // Bootstrap Italia sets a transparent outline (for forced colours) next to its shadow ring.
    const outline = s.outlineStyle !== 'none' && alpha(s.outlineColor) > 0.5 ? parseFloat(s.outlineWidth) : 0;
    let shadow = 0;
    for (const m of s.boxShadow.matchAll(/(rgba?\([^)]*\)) (-?[\d.]+)px (-?[\d.]+)px (-?[\d.]+)px (-?[\d.]+)px/g)) {
      if (alpha(m[1]) > 0.5) shadow = Math.max(shadow, Number(m[5]));
    }
    return { outline, shadow, focusVisible: el.matches(':focus-visible'), style: `outline ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow ${s.boxShadow}` };
  });
}

/**
 * Checks the element focused by the keyboard shows it: `:focus-visible` applies and draws an
 * opaque outline or shadow ring at least 2px wide (WCAG 2.4.7), wider than without the focus.
 */
export async function expectVisibleFocus(locator, what, unfocused = { outline: 0, shadow: 0 }) {
  const focused = await ring(locator);
  check(focused.focusVisible, `${what}: keyboard focus is not :focus-visible`);
  const drawn = Math.max(focused.outline, focused.shadow);
  check(drawn >= 2 && drawn > Math.max(unfocused.outline, unfocused.shadow), `${what}: no visible focus indicator (${focused.style})`);
}

/** The journeys of login, walked in Italian on a desktop and on a phone (see run.mjs). */
export const AUTH_JOURNEYS = {
  // Personal area from the home page, SPID through the test IdP, the profile with an invalid
  // e-mail corrected, then logout through the IdP's single logout. The pages on the way are
  // audited here, in Italian (auditAuthPages audits them in English).
  async 'sign in with SPID, edit the profile, sign out'(page, prefix, viewport) {
    const label = (what) => `${what} (it, ${viewport})`;
    await page.goto(comune('/'));
    await page.locator('.it-access-top-wrapper a[data-element="personal-area-login"]').click();
    await page.waitForURL(`**/${TENANT}/area-personale/`);
    check(await page.getByRole('heading', { level: 1, name: 'Area personale' }).isVisible(), 'the personal area asks for login');
    await shot(page, `${prefix}-1-sign-in`);
    await openSpid(page);
    await audit(page, label('sign-in page, SPID list open'));
    await shot(page, `${prefix}-2-spid-open`);
    await page.getByRole('link', { name: TEST_SPID, exact: true }).click();
    await page.waitForURL(onIdp);
    await audit(page, label('test IdP login page'));
    await choosePerson(page, 'Mario Rossi');
    await shot(page, `${prefix}-3-idp`);
    const acs = await leaveIdp(page);
    check(acs.status() === 303, `login accepted (HTTP ${acs.status()})`);
    check(new URL(page.url()).pathname === `/${TENANT}/area-personale/`, `back on the personal area (at ${page.url()})`);
    await expectSignedIn(page, 'Mario Rossi');
    check(await page.getByText('Benvenuto, Mario Rossi').isVisible(), 'the welcome names Mario Rossi');
    check(await page.getByText(`Accesso con ${TEST_SPID}, livello 2`).isVisible(), 'the session note names the IdP and level');
    await audit(page, label('personal area, signed in'));
    await shot(page, `${prefix}-4-personal-area`);

    await page.getByRole('link', { name: 'Il mio profilo e le preferenze di contatto' }).click();
    await page.waitForURL('**/area-personale/profilo');
    check(await page.getByText('RSSMRA80A01H501U').isVisible(), 'the profile shows the fiscal code');
    await audit(page, label('profile'));
    const email = page.getByLabel('Indirizzo e-mail per le comunicazioni');
    await email.fill('mario.rossi@');
    await page.getByRole('button', { name: 'Salva le preferenze' }).click();
    await page.waitForLoadState('load');
    const error = page.locator('#contact-email-error');
    check(await error.isVisible(), 'the e-mail error is shown');
    check((await error.innerText()).startsWith('Inserisci un indirizzo e-mail valido'), 'the e-mail error explains the format');
    check((await email.inputValue()) === 'mario.rossi@', 'the e-mail typed is kept');
    check((await email.getAttribute('aria-invalid')) === 'true', 'the field is marked invalid');
    check((await email.getAttribute('aria-describedby')).split(' ').includes('contact-email-error'), 'the error describes the field');
    // Next to the field: right below it, not in a summary elsewhere on the page.
    const [field, message] = [await email.boundingBox(), await error.boundingBox()];
    check(message.y >= field.y + field.height - 1 && message.y - (field.y + field.height) < 60, 'the error sits below the field');
    await email.focus();
    check(await email.evaluate((el) => el === document.activeElement), 'the invalid field takes the focus');
    await email.evaluate((el) => el.blur());
    await audit(page, label('profile with an error'));
    await error.scrollIntoViewIfNeeded();
    await shot(page, `${prefix}-5-profile-error`);
    await email.fill('mario.rossi@example.org');
    await page.getByRole('button', { name: 'Salva le preferenze' }).click();
    await page.waitForURL('**/area-personale/profilo?salvato=1');
    check(await page.getByRole('status').filter({ hasText: 'Preferenze salvate.' }).isVisible(), '"Preferenze salvate." shown');
    check((await email.inputValue()) === 'mario.rossi@example.org', 'the saved e-mail is shown');
    await shot(page, `${prefix}-6-profile-saved`);

    const visited = await signOut(page);
    check(visited.some((u) => new URL(u).pathname === '/_mock/idp/slo'), `logout goes through the IdP (${visited.join(' -> ')})`);
    check(await page.getByText('La sessione è terminata.').isVisible(), 'the IdP confirmed the logout');
    await audit(page, label('logged-out page'));
    await shot(page, `${prefix}-7-logged-out`);
    await page.goto(comune('/area-personale/'));
    check(await page.locator('summary.sportello-spid-button').isVisible(), 'the personal area asks for login again');
    await page.goto(comune('/area-personale/profilo'));
    check(await page.locator('summary.sportello-spid-button').isVisible(), 'the profile asks for login again');
  },

  // C.SE.1.1: a login started from a service comes back to that same service.
  async 'sign in with CIE from a service'(page, prefix, viewport) {
    await page.goto(comune('/'));
    await page.getByRole('link', { name: 'Vedi tutti i servizi' }).click();
    await page.waitForURL('**/servizi');
    await page.locator('a[data-element="service-link"]', { hasText: 'Permesso di accesso alla ZTL' }).click();
    await page.waitForURL('**/servizi/permesso-ztl');
    await page.locator('[data-element="service-online-access"]').first().click();
    await page.waitForURL('**/servizi/permesso-ztl/richiesta');
    check(await page.locator('p.lead', { hasText: 'Permesso di accesso alla ZTL' }).isVisible(), 'the sign-in page names the service');
    await shot(page, `${prefix}-1-sign-in`);
    await goToIdp(page, 'cie');
    await choosePerson(page, 'Anna Verdi');
    await shot(page, `${prefix}-2-idp`);
    await leaveIdp(page);
    check(new URL(page.url()).pathname === `/${TENANT}/servizi/permesso-ztl/richiesta`, `back on the same service (at ${page.url()})`);
    await expectSignedIn(page, 'Anna Verdi');
    check(await page.getByRole('button', { name: 'Inizia una nuova richiesta' }).isVisible(), 'the request page, signed in');
    check(await page.locator('p.lead', { hasText: 'Permesso di accesso alla ZTL' }).isVisible(), 'the request page names the service');
    await audit(page, `service request page, signed in (it, ${viewport})`);
    await shot(page, `${prefix}-3-request`);

    // The request itself, step by step: every page of the form is audited too.
    await page.getByRole('button', { name: 'Inizia una nuova richiesta' }).click();
    await page.waitForURL('**/passi/categoria');
    await audit(page, `request step: category (it, ${viewport})`);
    await page.locator('label', { hasText: 'Permesso giornaliero' }).click();
    await page.getByRole('button', { name: 'Salva e continua' }).click();
    await page.waitForURL('**/passi/veicoli-e-zone');
    // A mistake first: the error is announced and linked to its field.
    await page.locator('input[name="plates"]').first().fill('AB12');
    await page.getByRole('button', { name: 'Salva e continua' }).click();
    check(await page.locator('#error-summary').isVisible(), 'the step lists its errors');
    await audit(page, `request step with an error (it, ${viewport})`);
    await shot(page, `${prefix}-4-step-error`);
    await page.locator('input[name="plates"]').first().fill('AB123CD');
    await page.locator('label[for^="zones-"]').first().click();
    await page.getByRole('button', { name: 'Salva e continua' }).click();
    await page.waitForURL('**/passi/periodo');
    const tomorrow = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
    await page.locator('#start_date').fill(tomorrow);
    await page.locator('#reason').fill('Visita a un familiare');
    await page.getByRole('button', { name: 'Salva e continua' }).click();
    await page.waitForURL('**/passi/dichiarazioni');
    for (const id of ['truthful', 'conditions', 'privacy']) await page.locator(`label[for="${id}"]`).click();
    await page.getByRole('button', { name: 'Salva e continua' }).click();
    await page.waitForURL('**/riepilogo');
    await audit(page, `request summary (it, ${viewport})`);
    await shot(page, `${prefix}-5-summary`);
    await page.getByRole('button', { name: 'Invia la richiesta' }).click();
    await page.waitForURL('**/area-personale/pratiche/**');
    check(await page.getByText('Richiesta inviata').isVisible(), 'the receipt is shown at once');
    await audit(page, `receipt (it, ${viewport})`);
    await shot(page, `${prefix}-6-receipt`);
    await page.locator('.it-access-top-wrapper a').click();
    await page.waitForURL(`**/${TENANT}/area-personale/`);
    check(await page.locator('table', { hasText: 'Permesso di accesso alla ZTL' }).isVisible(), 'the personal area lists the request');
    await audit(page, `personal area with a request (it, ${viewport})`);
  },

  // Cancelling at the IdP: AgID's message for anomaly 25, as a 403, with a way to retry.
  async 'cancel at the identity provider'(page, prefix, viewport) {
    await openSignInFromHome(page);
    await goToIdp(page, 'spid');
    const acs = await leaveIdp(page, 'Annulla / Cancel');
    check(acs.status() === 403, `a cancelled login is HTTP 403 (got ${acs.status()})`);
    check(await page.getByRole('heading', { level: 1, name: 'Accesso non riuscito' }).isVisible(), '"Accesso non riuscito"');
    check(await page.getByText('Hai annullato l\'autenticazione. Puoi riprovare quando vuoi.').isVisible(), 'the cancellation is explained');
    check(!(await logoutButton(page).count()), 'nobody is signed in');
    await audit(page, `auth error page (it, ${viewport})`);
    await shot(page, `${prefix}-1-cancelled`);
    await page.getByRole('link', { name: 'Riprova ad accedere' }).click();
    await page.waitForURL(`**/${TENANT}/accedi`);
    check(await page.locator('summary.sportello-spid-button').isVisible(), 'the retry link leads to the sign-in buttons');
  },

  // Only the keyboard: Tab to the SPID button (its focus visible), Enter opens it, Tab and
  // Enter follow the test IdP; at the IdP, Tab reaches the people (the arrow keys choose
  // among radio buttons, as in any radio group) and Space presses "Accedi". Then "Esci".
  async 'sign in with the keyboard only'(page, prefix) {
    await page.goto(comune('/'));
    const login = page.locator('.it-access-top-wrapper a[data-element="personal-area-login"]');
    await tabTo(page, login);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/${TENANT}/area-personale/`);
    const spid = page.locator('summary.sportello-spid-button');
    const unfocused = await ring(spid);
    await tabTo(page, spid);
    await expectVisibleFocus(spid, 'the SPID button', unfocused);
    await shot(page, `${prefix}-1-spid-focused`);
    await page.keyboard.press('Enter');
    check(await page.locator('details.sportello-spid').evaluate((d) => d.open), 'Enter opens the SPID list');
    const testIdp = page.getByRole('link', { name: TEST_SPID, exact: true });
    check((await tabTo(page, testIdp, 3)) === 1, 'the first Tab after the SPID button reaches the first provider');
    await expectVisibleFocus(testIdp, 'the IdP link');
    await shot(page, `${prefix}-2-idp-focused`);
    await page.keyboard.press('Enter');
    await page.waitForURL(onIdp);
    const first = page.getByRole('radio', { name: /^Mario Rossi / });
    await tabTo(page, first);
    await expectVisibleFocus(first, 'the first person');
    await page.keyboard.press('ArrowDown');
    const anna = page.getByRole('radio', { name: /^Anna Verdi / });
    check(await anna.isChecked(), 'the arrow key chooses the next person');
    check(await anna.evaluate((el) => el === document.activeElement), 'the chosen person has the focus');
    const submit = page.getByRole('button', { name: 'Accedi / Sign in' });
    check((await tabTo(page, submit, 1)) === 1, 'Tab goes from the people to "Accedi"');
    await expectVisibleFocus(submit, '"Accedi / Sign in"');
    await shot(page, `${prefix}-3-idp-submit-focused`);
    const acs = page.waitForResponse((r) => r.url().endsWith('/saml/acs'));
    await page.keyboard.press('Space');
    check((await acs).status() === 303, 'the login is accepted');
    await page.waitForURL(`**/${TENANT}/area-personale/`);
    await expectSignedIn(page, 'Anna Verdi');
    const logout = logoutButton(page);
    await tabTo(page, logout);
    await expectVisibleFocus(logout, '"Esci"');
    await shot(page, `${prefix}-4-logout-focused`);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname.endsWith('/saml/slo'));
    check(await page.getByText('La sessione è terminata.').isVisible(), 'signed out with the keyboard');
  },

  // Without JavaScript the IdP's answer waits for "Continua / Continue" (the HTTP-POST
  // binding's fallback), and the <details> SPID list still opens.
  async 'sign in without javascript'(page, prefix) {
    await openSignInFromHome(page);
    await openSpid(page);
    await page.getByRole('link', { name: TEST_SPID, exact: true }).click();
    await page.waitForURL(onIdp);
    await choosePerson(page, 'Mario Rossi');
    await page.getByRole('button', { name: 'Accedi / Sign in' }).click();
    await page.waitForURL('**/_mock/idp/login');
    const go = page.getByRole('button', { name: 'Continua / Continue' });
    check(await go.isVisible(), 'the post page shows its button');
    await shot(page, `${prefix}-1-continue`);
    await go.click();
    await page.waitForURL(`**/${TENANT}/area-personale/`);
    await expectSignedIn(page, 'Mario Rossi');
    await signOut(page);
  },
};

/**
 * The pages around login in English, audited as `signIn` and `signOut` walk through them: the
 * sign-in page (SPID list open), the error after cancelling at the IdP, the personal area and
 * the profile signed in, the profile with an error, the logged-out page. (The Italian ones
 * are audited by the journeys above; the test IdP's page has one version, Italian with
 * English alongside, audited there.)
 */
export async function auditAuthPages(page, viewport) {
  const label = (what) => `${what} (en, ${viewport})`;
  await page.goto(comune('/accedi'));
  await expectLang(page, 'en', label('sign-in page'));
  await openSpid(page);
  await audit(page, label('sign-in page, SPID list open'));
  await goToIdp(page, 'spid');
  const acs = await leaveIdp(page, 'Annulla / Cancel');
  check(acs.status() === 403, `cancelled login: HTTP ${acs.status()}, expected 403`);
  check(await page.getByRole('heading', { level: 1, name: 'Sign-in failed' }).isVisible(), 'cancelled login: "Sign-in failed"');
  check(await page.getByText('You cancelled the authentication.').isVisible(), 'cancelled login: the reason, in English');
  await expectLang(page, 'en', label('auth error page'));
  await audit(page, label('auth error page'));
  await page.getByRole('link', { name: 'Try to sign in again' }).click();
  await signIn(page, 'Mario Rossi');
  check(await page.getByText('Welcome, Mario Rossi').isVisible(), 'the welcome, in English');
  await expectLang(page, 'en', label('personal area'));
  await audit(page, label('personal area, signed in'));
  await page.getByRole('link', { name: 'My profile and contact preferences' }).click();
  await page.waitForURL('**/area-personale/profilo');
  await audit(page, label('profile'));
  await page.getByLabel('E-mail address for messages').fill('not an address');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.locator('#contact-email-error').waitFor();
  await audit(page, label('profile with an error'));
  await signOut(page);
  await expectLang(page, 'en', label('logged-out page'));
  await audit(page, label('logged-out page'));
}
