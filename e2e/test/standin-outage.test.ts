import { randomUUID } from 'node:crypto';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';
import { OPERATOR } from '../src/stack/services';

// The whole loop with real processes: customers made in primary reach stand-in through the
// syncer; primary goes down; stand-in takes payments and transfers; primary comes back, applies
// every advice once, and both platforms agree on every balance.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

const standinSpendable = async (customer: Customer) =>
  (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .spendableMinor;
const primaryAvailable = async (customer: Customer) =>
  (await http<{ balance: { availableMinor: number } }>('GET', `${stack.primary.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .availableMinor;

test('when primary is down, stand-in takes payments and transfers; when it is back, every advice is applied once and the balances agree', async () => {
  const customers = await Promise.all(Array.from({ length: 4 }, () => openCustomer(stack, 10_000)));
  for (const customer of customers) {
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
      (value) => value === 10_000,
    );
  }

  await stack.primary.kill();
  for (const customer of customers) {
    for (let index = 0; index < 3; index++) {
      const answer = await http<{ responseCode: string; decidedBy: string }>('POST', `${stack.standin.url}/scheme/card/authorisations`, {
        body: cardPayment(customer, 1_000),
      });
      expect(answer.body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
    }
    const transfer = await http('POST', `${stack.standin.url}/accounts/${customer.id}/transfers`, {
      token: customer.token,
      idempotencyKey: randomUUID(),
      body: { amountMinor: 500, creditor: { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' }, reference: 'RENT' },
    });
    expect(transfer.status).toBe(201);
    expect(await standinSpendable(customer)).toBe(6_500);
  }

  await stack.primary.restart();
  const report = await eventually(
    'reconciliation to come back clean',
    async () =>
      (
        await http<{ clean: boolean; standinAdvices: number }>(
          'GET',
          `${stack.adviceConsumer.url}/internal/reconciliation?accounts=${customers.map((c) => c.id).join(',')}`,
          { token: OPERATOR.token },
        )
      ).body,
    (value) => value.clean,
    90_000,
  );
  expect(report.standinAdvices).toBe(16);
  for (const customer of customers) {
    expect(await primaryAvailable(customer)).toBe(6_500);
    // Once primary's effects sync back, stand-in counts each payment once, not twice.
    await eventually(
      `stand-in to agree with primary for ${customer.id}`,
      () => standinSpendable(customer),
      (value) => value === 6_500,
    );
    const transactions = (
      await http<{ transactions: { correlationId?: string; source: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/transactions`, {
        token: customer.token,
      })
    ).body.transactions;
    const correlated = transactions.filter((transaction) => transaction.correlationId);
    expect(new Set(correlated.map((transaction) => transaction.correlationId)).size).toBe(correlated.length);
  }
}, 300_000);

test("when primary's database, cache, Kafka and service are all killed, stand-in keeps authorising, and everything reconciles after", async () => {
  const customer = await openCustomer(stack, 10_000);
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
    (value) => value === 10_000,
  );

  await stack.primary.kill();
  const killed = ['pg-primary', 'redis-primary', 'kafka'] as const;
  for (const component of killed) await stack.infra.kill(component);
  try {
    for (let index = 0; index < 3; index++) {
      const answer = await http<{ responseCode: string; decidedBy: string }>('POST', `${stack.standin.url}/scheme/card/authorisations`, {
        body: cardPayment(customer, 2_000),
      });
      expect(answer.body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
    }
    expect(await standinSpendable(customer)).toBe(4_000);
  } finally {
    for (const component of killed) await stack.infra.start(component);
    await stack.primary.restart();
  }
  await eventually(
    'reconciliation to come back clean',
    async () =>
      (
        await http<{ clean: boolean; standinAdvices: number }>('GET', `${stack.adviceConsumer.url}/internal/reconciliation?accounts=${customer.id}`, {
          token: OPERATOR.token,
        })
      ).body,
    (report) => report.clean && report.standinAdvices === 3,
    120_000,
  );
  expect(await primaryAvailable(customer)).toBe(4_000);
  await eventually(
    'stand-in to agree with primary',
    () => standinSpendable(customer),
    (value) => value === 4_000,
    120_000,
  );
}, 300_000);

test('when Kafka is down for a while, then the lag alert fires in stand-in, and clears once events flow again', async () => {
  const customer = await openCustomer(stack, 10_000);
  await eventually(
    `stand-in to see ${customer.id}'s money`,
    () => standinSpendable(customer),
    (value) => value === 10_000,
    120_000,
  );
  const status = async () => (await http<{ sync?: { lagMs: number; alerting: boolean } }>('GET', `${stack.standin.url}/status`)).body.sync;

  await stack.infra.kill('kafka');
  try {
    // Changes keep committing in primary; their events wait in the outbox, growing older.
    await http('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: cardPayment(customer, 1_000) });
    await new Promise((resolve) => setTimeout(resolve, 7_000));
  } finally {
    await stack.infra.start('kafka');
  }
  const alert = await eventually('the lag alert', status, (sync) => sync?.alerting === true, 120_000);
  expect(alert!.lagMs).toBeGreaterThan(5_000);
  await eventually(
    'stand-in to see the payment',
    () => standinSpendable(customer),
    (value) => value === 9_000,
    120_000,
  );

  // Fresh traffic arrives with little lag: the alert clears.
  await eventually(
    'the lag alert to clear',
    async () => {
      await http('POST', `${stack.primary.url}/scheme/card/authorisations`, { body: cardPayment(customer, 10) });
      await new Promise((resolve) => setTimeout(resolve, 500));
      return status();
    },
    (sync) => sync?.alerting === false,
    120_000,
  );
}, 300_000);

test('when the advice consumer is SIGKILLed mid-stream and restarted, then nothing is posted twice and nothing is missing', async () => {
  const customer = await openCustomer(stack, 100_000);
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
    (value) => value === 100_000,
    120_000,
  );
  const payments = 30;
  const paying = (async () => {
    for (let index = 0; index < payments; index++) {
      const answer = await http<{ responseCode: string }>('POST', `${stack.standin.url}/scheme/card/authorisations`, { body: cardPayment(customer, 100) });
      expect(answer.body.responseCode).toBe('00');
    }
  })();
  // Mid-stream means once primary has applied some of this customer's advices, not after a fixed
  // time (on a busy machine 300 ms may be before the first advice, or after the last).
  const reconciliation = async () =>
    (
      await http<{ clean: boolean; standinAdvices: number; primaryApplied: number }>(
        'GET',
        `${stack.adviceConsumer.url}/internal/reconciliation?accounts=${customer.id}`,
        { token: OPERATOR.token },
      )
    ).body;
  await eventually('the advice consumer to apply the first advices', reconciliation, (report) => report.primaryApplied > 0, 120_000);
  await stack.adviceConsumer.kill();
  await paying;
  await stack.adviceConsumer.restart();
  await eventually('reconciliation to come back clean', reconciliation, (report) => report.clean && report.primaryApplied === payments, 120_000);
  expect(await primaryAvailable(customer)).toBe(100_000 - payments * 100);
}, 300_000);
