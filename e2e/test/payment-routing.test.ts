import { randomUUID } from 'node:crypto';
import { userBucket, type ConfigurationDocument } from '@bank/shared-contracts';
import { OPERATOR } from '../src/stack/services';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';

// Payment traffic sent to primary, as the data-centre gateway sends it, with real processes:
// primary's configuration (changed through its API by an incident engineer) decides per user and
// per direction whether primary processes a payment or hands it to stand-in unchanged. Whichever
// platform decided, the customer pays once: both platforms end up with the same balance.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

type Components = ConfigurationDocument['components'];
const NOBODY: Components = {
  cardPaymentsInbound: { mode: 'nobody' },
  cardPaymentsOutbound: { mode: 'nobody' },
  fasterPaymentsInbound: { mode: 'nobody' },
  fasterPaymentsOutbound: { mode: 'nobody' },
  app: { mode: 'nobody' },
};

/**
 * An operator's change on primary naming every component (stand-in for those given, primary for
 * the rest). A stale answer means the version moved (stand-in's document adopted meanwhile): read
 * again and re-apply, as the API says.
 */
async function routeOnPrimary(reason: string, components: Partial<Components>): Promise<ConfigurationDocument> {
  for (let attempt = 1; ; attempt++) {
    const current = (await http<ConfigurationDocument>('GET', `${stack.primary.url}/configuration`, { token: OPERATOR.token })).body;
    const changed = await http<ConfigurationDocument & { error?: { code: string; message: string } }>('POST', `${stack.primary.url}/configuration/changes`, {
      token: OPERATOR.token,
      body: { basedOnVersion: current.version, reason, components: { ...NOBODY, ...components } },
    });
    if (changed.status === 200) return changed.body;
    if (changed.body.error?.code !== 'CONFIGURATION_STALE' || attempt === 5) throw new Error(`configuration change refused: ${JSON.stringify(changed.body)}`);
  }
}

const standinSpendable = async (customer: Customer) =>
  (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .spendableMinor;
const primaryAvailable = async (customer: Customer) =>
  (await http<{ balance: { availableMinor: number } }>('GET', `${stack.primary.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .availableMinor;

/** A funded customer with a card, known to stand-in (routing a customer stand-in has not seen yet would only get declines). */
async function syncedCustomer(fundedMinor = 10_000): Promise<Customer> {
  const customer = await openCustomer(stack, fundedMinor, 'Routing Customer');
  await eventually(
    `stand-in to see ${customer.id}'s card`,
    async () =>
      (await http<{ cards: { cardId: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body.cards,
    (cards) => cards.some((card) => card.cardId === customer.card.id),
    120_000,
  );
  await eventually(
    `stand-in to see ${customer.id}'s money`,
    () => standinSpendable(customer),
    (value) => value === fundedMinor,
    120_000,
  );
  return customer;
}

const authorise = (customer: Customer, amountMinor: number) =>
  http<{ responseCode: string; decidedBy: string }>('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: cardPayment(customer, amountMinor) });
const creditFromScheme = (customer: Customer, amountMinor: number) =>
  http<{ status: string; decidedBy: string }>('POST', `${stack.primary.url}/scheme/faster-payments/inbound`, {
    body: {
      fpsId: `FPS-${randomUUID()}`,
      amountMinor,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Friend' },
      creditor: { sortCode: customer.sortCode, accountNumber: customer.accountNumber, name: 'Routing Customer' },
      reference: 'DINNER',
      sentAt: new Date().toISOString(),
    },
  });

/** Both platforms agree on what the customer can spend: every payment counted once, whoever decided it. */
async function bothPlatformsShow(customer: Customer, expectedMinor: number): Promise<void> {
  await eventually(
    `primary to show ${expectedMinor} for ${customer.id}`,
    () => primaryAvailable(customer),
    (value) => value === expectedMinor,
    120_000,
  );
  await eventually(
    `stand-in to show ${expectedMinor} for ${customer.id}`,
    () => standinSpendable(customer),
    (value) => value === expectedMinor,
    120_000,
  );
}

test("when card payments are on stand-in for one customer, then that customer's payments are decided by stand-in and everyone else's by primary, and each is paid once", async () => {
  const [listed, other] = await Promise.all([syncedCustomer(), syncedCustomer()]);
  await routeOnPrimary('INC-100: one customer on stand-in for card payments and the app', {
    cardPaymentsOutbound: { mode: 'users', userIds: [listed.customerId] },
    app: { mode: 'users', userIds: [listed.customerId] },
  });

  expect((await authorise(listed, 1_000)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
  expect((await authorise(other, 1_000)).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
  // The app is told the same: this customer uses stand-in, the other one primary.
  expect((await http('GET', `${stack.primary.url}/status?user=${listed.customerId}`)).body).toMatchObject({ experience: 'standin', talkTo: 'standin' });
  expect((await http('GET', `${stack.primary.url}/status?user=${other.customerId}`)).body).toMatchObject({ experience: 'full', talkTo: 'primary' });

  await bothPlatformsShow(listed, 9_000);
  await bothPlatformsShow(other, 9_000);
}, 300_000);

test('when card spending is on stand-in for a customer, then their incoming transfers are still credited by primary, and the other way round', async () => {
  const customer = await syncedCustomer();
  await routeOnPrimary('INC-101: card spending on stand-in for one customer', { cardPaymentsOutbound: { mode: 'users', userIds: [customer.customerId] } });
  expect((await authorise(customer, 1_000)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
  expect((await creditFromScheme(customer, 2_000)).body).toMatchObject({ status: 'accepted', decidedBy: 'primary' });

  await routeOnPrimary('INC-101: incoming and outgoing transfers on stand-in instead', {
    fasterPaymentsInbound: { mode: 'users', userIds: [customer.customerId] },
    fasterPaymentsOutbound: { mode: 'users', userIds: [customer.customerId] },
  });
  expect((await creditFromScheme(customer, 3_000)).body).toMatchObject({ status: 'accepted', decidedBy: 'standin' });
  expect((await authorise(customer, 1_500)).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
  // The app calls primary as always; the send is stand-in's (its FPS ids start SI-) with the customer's own token and key.
  const sent = await http<{ status: string; fpsId: string }>('POST', `${stack.primary.url}/accounts/${customer.id}/transfers`, {
    token: customer.token,
    idempotencyKey: randomUUID(),
    body: { amountMinor: 500, creditor: { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' }, reference: 'RENT' },
  });
  expect(sent.status).toBe(201);
  expect(sent.body).toMatchObject({ status: 'sent', fpsId: expect.stringMatching(/^SI-/) });

  await bothPlatformsShow(customer, 10_000 - 1_000 + 2_000 + 3_000 - 1_500 - 500);
}, 300_000);

test("when card payments are on stand-in for a percentage, then each customer's payments go where their stable bucket says, and raising it only adds customers", async () => {
  const customers = await Promise.all(Array.from({ length: 6 }, () => syncedCustomer()));
  // Each customer is a coin toss at 50 %: make sure both sides are represented.
  while (customers.every((c) => userBucket(c.customerId) < 50) || customers.every((c) => userBucket(c.customerId) >= 50))
    customers.push(await syncedCustomer());
  await routeOnPrimary('INC-102: half of card payments on stand-in', { cardPaymentsOutbound: { mode: 'percent', percent: 50 } });
  for (const customer of customers) {
    expect((await authorise(customer, 100)).body).toMatchObject({
      responseCode: '00',
      decidedBy: userBucket(customer.customerId) < 50 ? 'standin' : 'primary',
    });
  }

  await routeOnPrimary('INC-102: all card payments on stand-in', { cardPaymentsOutbound: { mode: 'percent', percent: 100 } });
  for (const customer of customers) expect((await authorise(customer, 100)).body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
  for (const customer of customers) await bothPlatformsShow(customer, 10_000 - 200);
}, 300_000);
