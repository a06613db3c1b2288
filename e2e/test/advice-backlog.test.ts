import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { countersOf } from '../src/chaos/service-metrics';
import { OPERATOR } from '../src/stack/services';
import { CREDENTIALS } from '../src/stack/credentials';
import { cardPayment, openCustomer, type Customer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 16 with real processes: a backlog of stand-in's advices, built while no advice consumer
// runs, drained through the consumer's batches and primary's batch route. What must hold: every
// advice applied once, primary's balances what the operations add up to; a poison advice in the
// middle of an account's backlog quarantined while the rest apply; a restored stand-in database
// (a sequence reused by a new advice) refused, never acknowledged as a duplicate.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

const standinSpendable = async (customer: Customer) =>
  (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
    .spendableMinor;
const primaryBalance = async (customer: Customer) =>
  (await http<{ balance: { availableMinor: number; heldMinor: number } }>('GET', `${stack.primary.url}/accounts/${customer.id}`, { token: customer.token }))
    .body.balance;

async function inStandin(customer: Customer, fundedMinor: number, cardId = customer.card.id) {
  await eventually(
    `stand-in to see ${customer.id}'s card`,
    async () =>
      (await http<{ cards: { cardId: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body.cards,
    (cards) => cards.some((card) => card.cardId === cardId),
    120_000,
  );
  await eventually(
    `stand-in to see ${customer.id}'s money`,
    () => standinSpendable(customer),
    (value) => value === fundedMinor,
    120_000,
  );
}

const reconciliation = async (customers: readonly Customer[]) =>
  (
    await http<{ clean: boolean; standinAdvices: number; primaryApplied: number }>(
      'GET',
      `${stack.adviceConsumer.url}/internal/reconciliation?accounts=${customers.map((customer) => customer.id).join(',')}`,
      { token: OPERATOR.token },
    )
  ).body;

async function approvedByStandin(body: Record<string, unknown>, path = '/scheme/card/authorisations') {
  const answer = await http<{ responseCode: string; decidedBy: string }>('POST', `${stack.standin.url}${path}`, { body });
  expect(answer.body).toMatchObject({ responseCode: '00' });
}

async function onDatabase<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

test("when a mixed backlog (purchases, a partial reversal, ATM cash, Faster Payments in and out, a freeze) drains through batches, then every advice is applied once and primary's balances are what the operations add up to", async () => {
  const funded = 20_000;
  const customers = await Promise.all(Array.from({ length: 3 }, () => openCustomer(stack, funded, 'Backlog Customer')));
  for (const customer of customers) await inStandin(customer, funded);
  await stack.adviceConsumer.stop();

  // The model: what each operation does to the money a customer can spend.
  const model = funded - 3 * 700 - 1_000 - 300 + 2_500 - 1_500;
  for (const customer of customers) {
    for (let index = 0; index < 3; index++) await approvedByStandin(cardPayment(customer, 700));
    await approvedByStandin(
      cardPayment(customer, 1_000, { processingCode: '010000', merchant: { name: 'ATM', categoryCode: '6011', city: 'London', country: 'GB' } }),
    );
    const purchase = cardPayment(customer, 800);
    await approvedByStandin(purchase);
    const reversalKey = cardPayment(customer, 1);
    await approvedByStandin(
      {
        mti: '0400',
        pan: customer.card.pan,
        original: { stan: purchase.stan, rrn: purchase.rrn, terminalId: purchase.terminalId },
        amountMinor: 800,
        replacementAmountMinor: 300,
        currency: 'GBP',
        transmittedAt: new Date().toISOString(),
        stan: reversalKey.stan,
        rrn: reversalKey.rrn,
        terminalId: reversalKey.terminalId,
      },
      '/scheme/card/reversals',
    );
    const credit = await http<{ status: string }>('POST', `${stack.standin.url}/scheme/faster-payments/inbound`, {
      body: {
        fpsId: `FPS-${randomUUID()}`,
        amountMinor: 2_500,
        currency: 'GBP',
        debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Friend' },
        creditor: { sortCode: customer.sortCode, accountNumber: customer.accountNumber, name: 'Backlog Customer' },
        reference: 'DINNER',
        sentAt: new Date().toISOString(),
      },
    });
    expect(credit.body.status).toBe('accepted');
    const transfer = await http('POST', `${stack.standin.url}/accounts/${customer.id}/transfers`, {
      token: customer.token,
      idempotencyKey: randomUUID(),
      body: { amountMinor: 1_500, creditor: { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' }, reference: 'RENT' },
    });
    expect(transfer.status).toBe(201);
    for (const action of ['freeze', 'unfreeze'])
      expect((await http('POST', `${stack.standin.url}/cards/${customer.card.id}/${action}`, { token: customer.token })).status).toBe(200);
    expect(await standinSpendable(customer)).toBe(model);
  }

  await stack.adviceConsumer.restart();
  const report = await eventually(
    'reconciliation to come back clean',
    () => reconciliation(customers),
    (value) => value.clean,
    120_000,
  );
  expect(report).toMatchObject({ standinAdvices: 3 * 10, primaryApplied: 3 * 10 });
  for (const customer of customers) expect((await primaryBalance(customer)).availableMinor).toBe(model);
}, 300_000);

test("when an advice in the middle of an account's backlog cannot be applied, then it alone is quarantined, the account's later advices apply, and a re-drive applies it once fixed", async () => {
  const funded = 10_000;
  const customer = await openCustomer(stack, funded, 'Poison Customer');
  const second = (
    await http<{ id: string; pan: string; expiry: string }>('POST', `${stack.primary.url}/internal/accounts/${customer.id}/cards`, {
      token: CREDENTIALS['card-manufacturer'],
      body: {},
    })
  ).body;
  const other = await openCustomer(stack, 0, 'Other Customer');
  await inStandin(customer, funded, second.id);
  await stack.adviceConsumer.stop();
  await approvedByStandin(cardPayment(customer, 1_000));
  await approvedByStandin(cardPayment({ ...customer, card: second }, 2_000));
  await approvedByStandin(cardPayment(customer, 3_000));
  // Primary's records now put the second card on another account: its advice cannot be applied here.
  await onDatabase(stack.databases.primary, (client) => client.query('update cards set account_id = $1 where id = $2', [other.id, second.id]));

  await stack.adviceConsumer.restart();
  const quarantined = await eventually(
    'the poison advice to be quarantined',
    async () =>
      (
        await http<{ advices: { adviceId: string; accountId: string; sequence: number; reason: string }[] }>(
          'GET',
          `${stack.primary.url}/advices/quarantined?limit=1000`,
          { token: OPERATOR.token },
        )
      ).body.advices.filter((advice) => advice.accountId === customer.id),
    (advices) => advices.length === 1,
    120_000,
  );
  expect(quarantined[0]).toMatchObject({ sequence: 2, reason: expect.stringContaining(`card ${second.id} is not a card of account ${customer.id}`) });
  await eventually(
    'the later advice to apply',
    () => primaryBalance(customer),
    (balance) => balance.heldMinor === 4_000,
    60_000,
  );

  await onDatabase(stack.databases.primary, (client) => client.query('update cards set account_id = $1 where id = $2', [customer.id, second.id]));
  const redriven = await http<{ outcome: string }>('POST', `${stack.primary.url}/advices/quarantined/${quarantined[0]!.adviceId}/redrive`, {
    token: OPERATOR.token,
  });
  expect(redriven.body.outcome).toBe('applied');
  expect(await primaryBalance(customer)).toMatchObject({ heldMinor: 6_000, availableMinor: funded - 6_000 });
}, 300_000);

test("when stand-in's database is restored from a backup and a new advice takes a sequence primary already applied, then the batch path refuses it as a conflict and it is dead-lettered, not acknowledged as a duplicate", async () => {
  const funded = 10_000;
  const customer = await openCustomer(stack, funded, 'Restored Customer');
  await inStandin(customer, funded);
  await approvedByStandin(cardPayment(customer, 1_000));
  await approvedByStandin(cardPayment(customer, 2_000));
  await eventually(
    'both advices to apply',
    () => reconciliation([customer]),
    (report) => report.clean && report.primaryApplied === 2,
    120_000,
  );
  const rejectedBefore =
    (await countersOf(stack.adviceConsumer.url, 'advice_consumer_outcomes_total'))['advice_consumer_outcomes_total{outcome="rejected"}'] ?? 0;

  // The backup was taken after the first advice: the second is gone from stand-in, its sequence free again.
  await onDatabase(stack.databases.standin, async (client) => {
    await client.query('delete from advices where account_id = $1 and sequence = 2', [customer.id]);
    await client.query('update advice_sequences set last_sequence = 1 where account_id = $1', [customer.id]);
  });
  await approvedByStandin(cardPayment(customer, 500));

  await eventually(
    'the consumer to refuse the reused sequence',
    async () => (await countersOf(stack.adviceConsumer.url, 'advice_consumer_outcomes_total'))['advice_consumer_outcomes_total{outcome="rejected"}'] ?? 0,
    (rejected) => rejected > rejectedBefore,
    120_000,
  );
  // Not applied: primary still holds the two payments it applied, not the new 500.
  expect(await primaryBalance(customer)).toMatchObject({ heldMinor: 3_000 });
}, 300_000);

test('when the advice consumer is SIGKILLed in the middle of a backlog, with a batch at primary, then after its restart every advice is applied exactly once', async () => {
  const funded = 100_000;
  const customer = await openCustomer(stack, funded, 'Killed Consumer Customer');
  await inStandin(customer, funded);
  await stack.adviceConsumer.stop();
  // More than a batch (200) of one account's advices: the consumer sends them in parts, each after
  // the previous one's answer, so the kill below lands with the drain half done and a batch at primary.
  const advices = 450;
  for (let index = 0; index < advices; index++) await approvedByStandin(cardPayment(customer, 100));
  const applied = () =>
    onDatabase(stack.databases.primary, async (client) =>
      Number((await client.query<{ count: string }>('select count(*) from applied_advices where account_id = $1', [customer.id])).rows[0]!.count),
    );

  await stack.adviceConsumer.restart();
  // Watched closely (not `eventually`'s 250 ms): the kill must come right after primary's first commit.
  const killAfter = Date.now() + 60_000;
  let appliedAtKill = 0;
  while (appliedAtKill === 0 && Date.now() < killAfter) appliedAtKill = await applied();
  await stack.adviceConsumer.kill();
  expect(appliedAtKill).toBeGreaterThan(0);
  expect(appliedAtKill).toBeLessThan(advices);

  await stack.adviceConsumer.restart();
  const report = await eventually(
    'reconciliation to come back clean after the restart',
    () => reconciliation([customer]),
    (value) => value.clean,
    120_000,
  );
  expect(report).toMatchObject({ standinAdvices: advices, primaryApplied: advices });
  expect(await applied()).toBe(advices);
  expect(await primaryBalance(customer)).toMatchObject({ heldMinor: advices * 100, availableMinor: funded - advices * 100 });
}, 300_000);
