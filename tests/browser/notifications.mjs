// Messages to citizens in the demo: the citizen's phone (the App IO stand-in) with a payment
// notice paid from the message, the e-mail caught by the demo's SMTP server, and the personal
// area's notifications page. Every page on the way is audited with axe-core.
import { base, audit, check, shot } from './lib.mjs';
import { openSignInFromHome, signIn } from './auth.mjs';

export const NOTIFICATION_JOURNEYS = {
  // Stefano Ferri owes stamp duty in both comuni (the desktop run pays Borgoverde's, the phone
  // run Valdoro's, so that each pays a notice of its own): on his phone, the notice message has a
  // "Paga" button that goes through the simulated Checkout and back to the message, paid.
  async 'read the App IO message and pay from it'(page, prefix, viewport) {
    const comune = viewport === 'phone' ? 'Comune di Valdoro' : 'Comune di Borgoverde';
    const label = (what) => `${what} (it, ${viewport})`;
    await page.goto(`${base}/_mock/appio/inbox/`);
    await audit(page, label('App IO inbox: whose phone'));
    await page.getByRole('link', { name: /Stefano Ferri/ }).click();
    await page.waitForURL('**/inbox/FRRSFN92T15D969C');
    await audit(page, label('App IO inbox: messages'));
    await shot(page, `${prefix}-1-inbox`);
    const notice = page.locator('li.list-group-item', { hasText: comune })
      .filter({ hasText: 'Avviso di pagamento' })
      .filter({ hasText: 'Da pagare' });
    check((await notice.count()) > 0, `a payment notice of the ${comune} waits in the inbox`);
    await notice.first().getByRole('link').click();
    await page.waitForURL(/\/inbox\/FRRSFN92T15D969C\/[0-9A-Z]+$/);
    check(await page.locator('dt', { hasText: 'Codice avviso' }).isVisible(), 'the message shows the notice code');
    await audit(page, label('App IO message with a payment notice'));
    await shot(page, `${prefix}-2-message`);
    await page.getByRole('button', { name: /^Paga / }).click();
    await page.waitForURL('**/_mock/pagopa/checkout/**');
    await audit(page, label('simulated Checkout from App IO'));
    await page.getByRole('button', { name: /^Paga / }).click();
    await page.waitForURL(/esito=ok/);
    check(await page.getByText(/Pagato/).first().isVisible(), 'back in the message, the notice is paid');
    await audit(page, label('App IO message paid'));
    await shot(page, `${prefix}-3-paid`);
  },

  // Mario chose e-mail as well: the demo's mailbox has his messages, each with a plain-text and
  // an HTML part; then the personal area lists the same messages with each channel's state.
  async 'read the e-mail and the notifications page'(page, prefix, viewport) {
    const label = (what) => `${what} (it, ${viewport})`;
    await page.goto(`${base}/_mock/mail/`);
    await audit(page, label('demo mailbox'));
    const mario = page.locator('tr', { hasText: 'mario.rossi@example.org' });
    check((await mario.count()) > 0, 'Mario received e-mails');
    await mario.first().getByRole('link').first().click();
    await page.waitForURL(/\/_mock\/mail\/[0-9a-f]+$/);
    check((await page.locator('iframe').count()) === 1, 'the HTML part is shown in a frame');
    // The frame is sandboxed (no scripts): axe audits the page around it, then the HTML part
    // on its own, as a mail client would show it.
    await audit(page, label('an e-mail'), 'iframe');
    await shot(page, `${prefix}-1-mail`);
    // (served with a CSP sandbox that stops scripts, axe included: its HTML is audited as content).
    const html = await (await page.request.get(`${page.url()}/html`)).text();
    const part = await page.context().newPage();
    await part.setContent(html);
    await audit(part, label("an e-mail's HTML part"));
    await part.close();
    const comune = viewport === 'phone' ? 'valdoro' : 'borgoverde';
    await openSignInFromHome(page, comune);
    await signIn(page, 'Mario Rossi');
    await page.locator('main a[href$="/area-personale/notifiche"]').first().click();
    await page.waitForURL('**/area-personale/notifiche');
    check(await page.getByRole('heading', { level: 1 }).isVisible(), 'the notifications page opens');
    check((await page.getByText('Richiesta ricevuta').count()) > 0, 'the receipts are listed');
    await audit(page, label('my notifications'));
    await shot(page, `${prefix}-2-notifications`);
    await page.locator('main a[href*="/area-personale/notifiche/"]').first().click();
    await page.waitForURL(/\/area-personale\/notifiche\/[0-9a-f-]+$/);
    await audit(page, label('a notification'));
    await page.locator('.it-access-top-wrapper a').click();
    await page.waitForURL(`**/${comune}/area-personale/`);
    await page.getByRole('link', { name: 'Il mio profilo e le preferenze di contatto' }).click();
    await page.waitForURL('**/area-personale/profilo');
    await audit(page, label('profile with channels per topic'));
    await shot(page, `${prefix}-3-profile`);
  },

  // The back office: what each request sent, the delivery dashboard with its filters and the
  // resend button, and (for the administrator) the preview of every message's wording.
  async 'follow deliveries in the back office'(page, prefix, viewport) {
    const label = (what) => `${what} (it, ${viewport})`;
    await openSignInFromHome(page, 'borgoverde');
    await signIn(page, 'Luca Neri');
    await page.getByRole('link', { name: 'Ufficio – pratiche' }).click();
    await page.getByRole('link', { name: 'Comunicazioni ai cittadini' }).click();
    await page.waitForURL('**/borgoverde/ufficio/notifiche');
    check((await page.getByRole('button', { name: /Invia di nuovo/ }).count()) > 0, 'the latest notifications can be resent');
    await audit(page, label('delivery dashboard'));
    await shot(page, `${prefix}-1-dashboard`);
    await page.locator('#canale').selectOption('io');
    await page.locator('#stato').selectOption('skipped');
    await page.getByRole('button', { name: 'Filtra' }).click();
    await page.waitForURL(/\/ufficio\/notifiche\?canale=io&stato=skipped/);
    await audit(page, label('delivery dashboard, filtered'));
    await page.getByRole('link', { name: 'Testi dei messaggi' }).click();
    await page.waitForURL('**/ufficio/notifiche/modelli');
    check((await page.getByRole('heading', { level: 1 }).count()) === 1, 'the preview page opens');
    await audit(page, label('wording preview'));
    await shot(page, `${prefix}-2-templates`);
  },
};
