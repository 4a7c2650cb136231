// The personal area, section by section, as Mario Rossi (the demo citizen with requests,
// payments and messages) finds it: from the home page, signed in, through his requests, his
// payments, his messages and his profile, then out. Read-only: other journeys pay his fees
// and edit his profile. Every page on the way is audited and pictured.
import { audit, check, shot } from './lib.mjs';
import { TENANT, openSignInFromHome, signIn, signOut } from './auth.mjs';

/** Where the personal area leads: payments, messages, profile, the services. */
const PARTS = ['/area-personale/pagamenti', '/area-personale/notifiche', '/area-personale/profilo', '/servizi'];

/** The first link of the page's content to `path` of the comune. */
function contentLink(page, path) {
  return page.locator(`main a[href="/${TENANT}${path}"]`).first();
}

/** Back to the personal area by the breadcrumb, as from any of its pages. */
async function backToPersonalArea(page) {
  await page.locator('[data-element="breadcrumb"] a', { hasText: 'Area personale' }).click();
  await page.waitForURL(`**/${TENANT}/area-personale/`);
}

export const PERSONAL_AREA_JOURNEYS = {
  async 'tour the personal area'(page, prefix, viewport) {
    const label = (what) => `${what} (it, ${viewport})`;
    await openSignInFromHome(page);
    await signIn(page, 'Mario Rossi');
    check(new URL(page.url()).pathname === `/${TENANT}/area-personale/`, `back on the personal area (at ${page.url()})`);

    // The sections, each named by its heading: his requests (a table) and drafts if any, and
    // the ways to his payments, his messages, his profile and the services.
    check(await page.getByRole('heading', { level: 1, name: 'Area personale' }).isVisible(), 'the personal area\'s title');
    check(await page.getByText('Benvenuto, Mario Rossi').isVisible(), 'the welcome names Mario Rossi');
    for (const section of await page.locator('main section[aria-labelledby]').all()) {
      const id = await section.getAttribute('aria-labelledby');
      check(await section.locator(`[id="${id}"]`).isVisible(), `the section "${id}" shows its heading`);
    }
    const requests = page.locator('section[aria-labelledby="requests-title"]');
    check(await requests.getByRole('heading', { level: 2, name: 'Le mie richieste' }).isVisible(), '"Le mie richieste"');
    const rows = requests.locator('tbody tr');
    check((await rows.count()) > 0, 'Mario\'s requests are listed');
    const drafts = await page.locator('#drafts-title').count();
    for (const path of PARTS) {
      check(await contentLink(page, path).isVisible(), `the personal area links to ${path}`);
    }
    await audit(page, label(`personal area with requests${drafts ? ' and drafts' : ''}`));
    await shot(page, `${prefix}-1-personal-area`);

    // A request: its receipt, state and answer date.
    const service = (await rows.first().locator('a').innerText()).trim();
    await rows.first().getByRole('link').click();
    await page.waitForURL(/\/area-personale\/pratiche\/[0-9a-f-]+$/);
    check((await page.locator('p.lead').innerText()).trim() === service, `the request is for "${service}"`);
    check(await page.locator('[data-element="receipt"]').isVisible(), 'the request shows its receipt');
    await audit(page, label('a request'));
    await shot(page, `${prefix}-2-request`);
    await backToPersonalArea(page);

    // His payments, and one of them (only looked at).
    await contentLink(page, '/area-personale/pagamenti').click();
    await page.waitForURL('**/area-personale/pagamenti');
    const payments = page.locator('[data-element="payments"] tbody tr');
    check((await payments.count()) > 0, 'Mario\'s payments are listed');
    await audit(page, label('my payments'));
    await shot(page, `${prefix}-3-payments`);
    await payments.first().getByRole('link').click();
    await page.waitForURL(/\/area-personale\/pagamenti\/[0-9a-f-]+$/);
    check(await page.getByRole('heading', { level: 1 }).isVisible(), 'a payment opens');
    await audit(page, label('a payment'));
    await shot(page, `${prefix}-4-payment`);
    await backToPersonalArea(page);

    // His messages, and one of them with each channel's state.
    await contentLink(page, '/area-personale/notifiche').click();
    await page.waitForURL('**/area-personale/notifiche');
    const messages = page.locator('[data-element="notifications"] tbody tr');
    check((await messages.count()) > 0, 'Mario\'s messages are listed');
    await audit(page, label('my messages'));
    await shot(page, `${prefix}-5-messages`);
    const subject = (await messages.first().getByRole('link').innerText()).trim();
    await messages.first().getByRole('link').click();
    await page.waitForURL(/\/area-personale\/notifiche\/[0-9a-f-]+$/);
    check(await page.getByText(subject).first().isVisible(), `the message "${subject}" opens`);
    await audit(page, label('a message'));
    await shot(page, `${prefix}-6-message`);
    await backToPersonalArea(page);

    // The profile, as it is (the login journey edits it).
    await contentLink(page, '/area-personale/profilo').click();
    await page.waitForURL('**/area-personale/profilo');
    check(await page.getByText('RSSMRA80A01H501U').isVisible(), 'the profile shows the fiscal code');
    await audit(page, label('my profile'));
    await shot(page, `${prefix}-7-profile`);

    await signOut(page);
    await audit(page, label('signed out'));
    await shot(page, `${prefix}-8-signed-out`);
  },
};
