// Paying through pagoPA in the demo: a permit's fee and a spontaneous payment, each from the
// personal area to the stand-in's simulated Checkout and back, with the receipt. Every page on
// the way is audited with axe-core (the stand-in's Checkout page too).
import { audit, check, shot } from './lib.mjs';
import { openSignInFromHome, signIn } from './auth.mjs';

/** On a position's page: "Paga con pagoPA", then "Paga" on the simulated Checkout, then back. */
async function payInCheckout(page, prefix, label) {
  await page.getByRole('button', { name: /^Paga con pagoPA/ }).first().click();
  await page.waitForURL('**/_mock/pagopa/checkout/carts/**');
  check(await page.getByRole('heading', { level: 1, name: /Paga con pagoPA/ }).isVisible(), 'the simulated Checkout asks to pay');
  await audit(page, label('simulated pagoPA Checkout'));
  await shot(page, `${prefix}-checkout`);
  await page.getByRole('button', { name: /^Paga / }).click();
  await page.waitForURL('**/esito?esito=ok');
  check(await page.getByText('Pagamento ricevuto.').isVisible(), 'back from the Checkout, the payment is received');
  check(await page.getByRole('link', { name: 'Scarica la ricevuta di pagamento (PDF)' }).first().isVisible(), 'the receipt can be downloaded');
  check(!(await page.getByRole('button', { name: /^Paga con pagoPA/ }).count()), 'nothing left to pay');
  await audit(page, label('payment received'));
  await shot(page, `${prefix}-paid`);
}

export const PAYMENT_JOURNEYS = {
  // Mario's approved request waits for its fee (the desktop run in Borgoverde, the phone run in
  // Valdoro, so that each pays a notice of its own): from the desk's "Pagamenti" tab to the Checkout and
  // back, then the request shows the payment.
  async 'pay a permit fee in the simulated pagoPA checkout'(page, prefix, viewport) {
    const comune = viewport === 'phone' ? 'valdoro' : 'borgoverde';
    const label = (what) => `${what} (it, ${viewport})`;
    await openSignInFromHome(page, comune);
    await signIn(page, 'Mario Rossi');
    await page.getByRole('navigation', { name: 'Sezioni dell\'area personale' }).getByRole('link', { name: 'Pagamenti' }).click();
    await page.waitForURL('**/area-personale/pagamenti');
    await audit(page, label('my payments'));
    await shot(page, `${prefix}-1-payments`);
    const due = page.locator('[data-element="payments"] tbody tr', { hasText: 'Da pagare' }).filter({ hasText: 'Autorizzazione' });
    check((await due.count()) > 0, 'an approved request waits for its fee');
    await due.first().getByRole('link').click();
    await page.waitForURL(/\/area-personale\/pagamenti\/[0-9a-f-]+$/);
    check(await page.getByText('Codice avviso').first().isVisible(), 'the notice code is shown');
    await audit(page, label('a payment to make'));
    await shot(page, `${prefix}-2-position`);
    const notice = await page.request.get(page.url() + '/avviso.pdf');
    check(notice.status() === 200 && notice.headers()['content-type'] === 'application/pdf', 'the payment notice is a PDF');
    await payInCheckout(page, `${prefix}-3`, label);
    await page.getByRole('link', { name: 'Vai alla richiesta' }).click();
    // The receipt reaches the request through the outbox, within a second or two.
    let moved = false;
    for (let i = 0; i < 20 && !moved; i++) {
      moved = await page.getByText('Pagamento ricevuto').first().isVisible();
      if (!moved) {
        await page.waitForTimeout(500);
        await page.reload();
      }
    }
    check(moved, 'the request shows the payment received');
    await shot(page, `${prefix}-4-request`);
  },

  // A canteen top-up: an amount out of range is explained next to the field and kept, a good
  // one makes a notice in Mario's name, paid at once.
  async 'pay a canteen top-up, correcting the amount'(page, prefix, viewport) {
    const label = (what) => `${what} (it, ${viewport})`;
    await openSignInFromHome(page, 'borgoverde');
    await signIn(page, 'Mario Rossi');
    await page.locator('main a[href$="/area-personale/pagamenti"]').first().click();
    await page.getByRole('link', { name: 'Fai un pagamento spontaneo' }).click();
    await page.waitForURL('**/borgoverde/pagamenti');
    await page.getByRole('link', { name: 'Ricarica del conto mensa scolastica' }).click();
    await page.waitForURL('**/pagamenti/ricarica-mensa');
    await page.getByLabel(/Importo in euro/).fill('4,99');
    await page.getByRole('button', { name: 'Continua' }).click();
    const error = page.locator('#valore-error');
    check((await error.innerText()).includes('tra € 5,00 e € 200,00'), 'the range is explained');
    check((await page.getByLabel(/Importo in euro/).inputValue()) === '4,99', 'what was typed is kept');
    check((await page.getByLabel(/Importo in euro/).getAttribute('aria-describedby')) === 'valore-error', 'the error is linked to the field');
    await audit(page, label('spontaneous payment with an error'));
    await shot(page, `${prefix}-1-error`);
    await page.getByLabel(/Importo in euro/).fill('25');
    await page.getByRole('button', { name: 'Continua' }).click();
    await page.waitForURL(/\/area-personale\/pagamenti\/[0-9a-f-]+$/);
    check(await page.getByText('€ 25,00').first().isVisible(), 'the notice is for 25 euros');
    await shot(page, `${prefix}-2-position`);
    await payInCheckout(page, `${prefix}-3`, label);
  },
};
