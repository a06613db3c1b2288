import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { infraEndpoints } from '@bank/infra';
import type { BankAccountParty } from '@bank/shared-contracts';
import { transferRoutes } from '../src/app/app-routes';
import { createStandinServer } from '../src/app/server';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import { httpFasterPaymentsScheme, SchemeOutcomeUnknown, type FasterPaymentsScheme } from '../src/payments/faster-payments-scheme';
import { startOutboundRetries } from '../src/payments/outbound-retries';
import { createOutboundTransfers, type TransferOutcome } from '../src/payments/outbound-transfers';
import { openDatabase, upgradeSchema } from '../src/store/database';
import { standinBalance } from '../src/views/balance-view';
import { recentTransactions } from '../src/views/transactions-view';
import { startSchemeSimulator, type SchemeSimulator } from './faster-payments-scheme-simulator';
import { SyncedAccount, testKeys } from './synced-state';
import { TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// Stand-in's outbound Faster Payments against real PostgreSQL and a real (simulated) scheme over
// HTTP: reserve, submit, settle; unknown outcomes retried with the same fpsId; one payment per
// idempotency key; never more money out than the balance holds.

const database = openDatabase(infraEndpoints().postgres.standin);
const logger = pino({ level: 'silent' });
const now = () => new Date();
let scheme: SchemeSimulator;
const closing: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await upgradeSchema(database);
  scheme = await startSchemeSimulator();
});
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});
afterAll(async () => {
  await scheme.close();
  await database.end();
});

/** A stand-in as main.ts wires it, with its own breaker, talking to the simulator unless told otherwise. */
async function standin(options: { timeoutMs?: number; retryAfterMs?: number; scheme?: FasterPaymentsScheme } = {}) {
  const client = httpFasterPaymentsScheme({ logger }, { url: scheme.url, timeoutMs: options.timeoutMs ?? 300 });
  const transfers = createOutboundTransfers({ database, scheme: options.scheme ?? client, logger, now, retryAfterMs: options.retryAfterMs ?? 200 });
  const server = createStandinServer({
    database,
    logger,
    now,
    keys: testKeys,
    services: TEST_SERVICES,
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: 'transfers-test-operator:transfers-test-operator-token' }),
    cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
  });
  transferRoutes(server, { database, transfers });
  const address = await server.listen({ port: 0, host: '127.0.0.1' });
  closing.push(async () => {
    await server.close();
    client.breaker.shutdown();
  });
  return {
    transfers,
    breaker: client.breaker,
    startRetries(intervalMs = 50) {
      const retries = startOutboundRetries({ transfers, logger, intervalMs });
      closing.push(() => retries.stop());
      return retries;
    },
    async send(account: SyncedAccount, key: string, order: { amountMinor: number; creditor: BankAccountParty; reference?: string }) {
      const response = await fetch(`${address}/accounts/${account.accountId}/transfers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${account.token}`, 'idempotency-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    },
  };
}

/** A payee of our own, so what the simulator does with it is up to this test alone. */
const newCreditor = (name = 'Landlord'): BankAccountParty => ({
  sortCode: '200000',
  accountNumber: String(10_000_000 + Math.floor(Math.random() * 89_999_999)),
  name,
});
const spendable = async (account: SyncedAccount) => (await standinBalance(database, account.accountId))!.spendableMinor;
const advicesOf = async (account: SyncedAccount) =>
  (
    await database.query<{ type: string; correlation_id: string; advice: { payload: unknown } }>(
      'select type, correlation_id, advice from advices where account_id = $1 order by sequence',
      [account.accountId],
    )
  ).rows;

async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("stand-in's outbound Faster Payments", () => {
  test('when the scheme accepts, then the answer is 201, the scheme got the stand-in account as debtor, primary is advised once and the money leaves once', async () => {
    const app = await standin();
    const account = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    const creditor = newCreditor();
    const key = randomUUID();
    const fpsId = `SI-${key}`;

    const sent = await app.send(account, key, { amountMinor: 3_000, creditor, reference: 'RENT' });
    expect(sent).toEqual({ status: 201, body: { status: 'sent', fpsId, correlationId: expect.any(String) } });
    expect(scheme.receivedFor(fpsId)).toEqual([
      {
        fpsId,
        amountMinor: 3_000,
        currency: 'GBP',
        debtor: { sortCode: '608371', accountNumber: account.accountNumber, name: 'Test Customer' },
        creditor,
        reference: 'RENT',
        sentAt: expect.any(String),
      },
    ]);
    const advices = await advicesOf(account);
    expect(advices.map((advice) => [advice.type, advice.correlation_id, advice.advice.payload])).toEqual([
      ['transfer.sent', sent.body.correlationId, { fpsId, amountMinor: 3_000, creditor, reference: 'RENT' }],
    ]);
    expect(await spendable(account)).toBe(2_000);
    expect((await recentTransactions(database, account.accountId, 10)).map((line) => [line.kind, line.status, line.amountMinor])).toEqual([
      ['faster_payment_out', 'settled', -3_000],
    ]);

    const again = await app.send(account, key, { amountMinor: 3_000, creditor, reference: 'RENT' });
    expect(again).toEqual(sent);
    expect(scheme.receivedFor(fpsId)).toHaveLength(1);
    expect(await advicesOf(account)).toHaveLength(1);
    expect(await spendable(account)).toBe(2_000);
  });

  test('when the scheme rejects, then the answer is 422 with its reason, nothing is advised and the money is back; the transfer is listed as rejected', async () => {
    const app = await standin();
    const account = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    const creditor = newCreditor('Closed Ltd');
    scheme.behave(creditor.accountNumber, 'reject');
    const key = randomUUID();

    const refused = await app.send(account, key, { amountMinor: 3_000, creditor });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      status: 'refused',
      why: 'the Faster Payments scheme rejected the payment: account_closed (beneficiary account closed)',
      rejectReason: 'account_closed',
      fpsId: `SI-${key}`,
    });
    expect(await advicesOf(account)).toEqual([]);
    expect(await spendable(account)).toBe(5_000);
    expect((await recentTransactions(database, account.accountId, 10)).map((line) => [line.status, line.amountMinor])).toEqual([['rejected', -3_000]]);
    expect(await app.send(account, key, { amountMinor: 3_000, creditor })).toEqual(refused);
    expect(scheme.receivedFor(`SI-${key}`)).toHaveLength(1);
  });

  test('when there is not enough money, then the answer is 422 as before and the scheme hears nothing, even on a retry after money arrives', async () => {
    const app = await standin();
    const account = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const creditor = newCreditor();
    const key = randomUUID();
    const refused = await app.send(account, key, { amountMinor: 1_001, creditor });
    expect(refused).toEqual({ status: 422, body: { status: 'refused', why: 'not enough money as stand-in sees it' } });
    await account.balance(10_000, 0);
    expect(await app.send(account, key, { amountMinor: 1_001, creditor })).toEqual(refused);
    expect(scheme.received.filter((payment) => payment.creditor.accountNumber === creditor.accountNumber)).toEqual([]);
    expect(await spendable(account)).toBe(10_000);
  });

  test('when the scheme hangs, then the answer is 202 with the money held and nothing advised; once it answers, the retry loop settles each payment once', async () => {
    const app = await standin({ timeoutMs: 300, retryAfterMs: 200 });
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const payee = newCreditor();
    const closedPayee = newCreditor('Closing Ltd');
    scheme.behave(payee.accountNumber, 'hang');
    scheme.behave(closedPayee.accountNumber, 'hang');
    const [keyA, keyB] = [randomUUID(), randomUUID()];

    const pendingA = await app.send(account, keyA, { amountMinor: 3_000, creditor: payee });
    const pendingB = await app.send(account, keyB, { amountMinor: 2_000, creditor: closedPayee });
    expect(pendingA).toEqual({ status: 202, body: { status: 'submitted', fpsId: `SI-${keyA}` } });
    expect(pendingB).toEqual({ status: 202, body: { status: 'submitted', fpsId: `SI-${keyB}` } });
    expect(await advicesOf(account)).toEqual([]);
    expect(await spendable(account)).toBe(5_000);
    expect((await recentTransactions(database, account.accountId, 10)).map((line) => line.status)).toEqual(['pending', 'pending']);
    // A retry of the app request reports the state and submits nothing itself.
    expect(await app.send(account, keyA, { amountMinor: 3_000, creditor: payee })).toEqual(pendingA);
    expect(scheme.receivedFor(`SI-${keyA}`)).toHaveLength(1);

    scheme.behave(payee.accountNumber, 'accept');
    scheme.behave(closedPayee.accountNumber, 'reject');
    app.startRetries();
    const advices = await eventually(
      'the accepted payment to be advised',
      () => advicesOf(account),
      (rows) => rows.length > 0,
    );
    await eventually(
      'the rejected payment to be settled',
      () => spendable(account),
      (value) => value === 7_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect((await advicesOf(account)).map((advice) => advice.type)).toEqual(['transfer.sent']);
    expect(await spendable(account)).toBe(7_000);
    const settledA = await app.send(account, keyA, { amountMinor: 3_000, creditor: payee });
    expect(settledA).toEqual({ status: 201, body: { status: 'sent', fpsId: `SI-${keyA}`, correlationId: advices[0]!.correlation_id } });
    expect((await app.send(account, keyB, { amountMinor: 2_000, creditor: closedPayee })).body).toMatchObject({
      status: 'refused',
      rejectReason: 'account_closed',
    });
    // The same fpsId every time: the scheme saw two payments, however often it was asked.
    expect(new Set(scheme.received.filter((payment) => payment.debtor.accountNumber === account.accountNumber).map((payment) => payment.fpsId))).toEqual(
      new Set([`SI-${keyA}`, `SI-${keyB}`]),
    );
  });

  test('when the same Idempotency-Key is retried during and after the submission, then the scheme gets one submission; a different transfer under that key is 409', async () => {
    const app = await standin({ timeoutMs: 3_000, retryAfterMs: 60_000 });
    const account = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    const other = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    const creditor = newCreditor();
    scheme.behave(creditor.accountNumber, { acceptAfterMs: 400 });
    const key = randomUUID();
    const fpsId = `SI-${key}`;
    const order = { amountMinor: 1_500, creditor, reference: 'INVOICE 7' };

    const first = app.send(account, key, order);
    await eventually(
      'the scheme to receive the payment',
      async () => scheme.receivedFor(fpsId).length,
      (count) => count === 1,
    );
    expect(await app.send(account, key, order)).toEqual({ status: 202, body: { status: 'submitted', fpsId } });
    const answered = await first;
    expect(answered.status).toBe(201);
    expect(await app.send(account, key, order)).toEqual(answered);
    expect(scheme.receivedFor(fpsId)).toHaveLength(1);
    expect(await advicesOf(account)).toHaveLength(1);
    expect(await spendable(account)).toBe(3_500);

    const reused = await app.send(account, key, { ...order, amountMinor: 1_600 });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toEqual({ code: 'STANDIN_IDEMPOTENCY_KEY_REUSED', message: expect.stringContaining('send a new UUID for a new transfer') });
    expect((await app.send(other, key, order)).status).toBe(409);
    expect(await spendable(other)).toBe(5_000);
    expect(scheme.receivedFor(fpsId)).toHaveLength(1);
  });

  test('when stand-in dies between reserving and settling, then a restarted stand-in finishes the payment from the database alone', async () => {
    const account = await new SyncedAccount(database).open({ settledMinor: 5_000 });
    const creditor = newCreditor();
    const key = randomUUID();
    // The first process never reaches the scheme: its state is what a crash right after reserving leaves.
    const dying = await standin({ scheme: { submit: () => Promise.reject(new SchemeOutcomeUnknown('process died')) } });
    expect(await dying.send(account, key, { amountMinor: 2_500, creditor })).toEqual({ status: 202, body: { status: 'submitted', fpsId: `SI-${key}` } });
    expect(scheme.receivedFor(`SI-${key}`)).toEqual([]);

    const restarted = await standin({ retryAfterMs: 200 });
    restarted.startRetries();
    await eventually(
      'the payment to be advised',
      () => advicesOf(account),
      (rows) => rows.length === 1,
    );
    expect(await restarted.send(account, key, { amountMinor: 2_500, creditor })).toMatchObject({ status: 201, body: { status: 'sent' } });
    expect(scheme.receivedFor(`SI-${key}`)).toHaveLength(1);
    expect(await spendable(account)).toBe(2_500);
  });

  test('when the scheme cannot be reached, then transfers are 202 with the money held, the breaker opens, and retries wait their turn', async () => {
    const unreachable = httpFasterPaymentsScheme({ logger }, { url: 'http://127.0.0.1:9/faster-payments', timeoutMs: 300 });
    closing.push(async () => unreachable.breaker.shutdown());
    const app = await standin({ scheme: unreachable, retryAfterMs: 60_000 });
    const account = await new SyncedAccount(database).open({ settledMinor: 10_000 });
    const creditor = newCreditor();
    const fpsIds: string[] = [];
    for (let index = 0; index < 6; index++) {
      const answer = await app.send(account, randomUUID(), { amountMinor: 1_000, creditor });
      expect(answer.status).toBe(202);
      fpsIds.push(answer.body.fpsId);
    }
    expect(unreachable.breaker.opened).toBe(true);
    expect(await spendable(account)).toBe(4_000);
    expect(await advicesOf(account)).toEqual([]);
    // Just attempted: not yet due for another.
    const pass = await app.transfers.retryUnanswered();
    expect(pass.unknown.filter((entry) => fpsIds.includes(entry.fpsId))).toEqual([]);

    // The scheme is back: the next due pass settles every one of them, each advised once.
    const back = await standin({ retryAfterMs: 0 });
    await back.transfers.retryUnanswered(1_000);
    expect((await advicesOf(account)).map((advice) => (advice.advice.payload as { fpsId: string }).fpsId).sort()).toEqual([...fpsIds].sort());
    expect(await spendable(account)).toBe(4_000);
  });

  test('property: concurrent transfers that together exceed the balance: only those that fit are submitted, and no refused one would still have fitted', async () => {
    const app = await standin({ timeoutMs: 2_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 1, maxLength: 8 }),
        async (balance, amounts) => {
          const account = await new SyncedAccount(database).open({ settledMinor: balance });
          const creditor = newCreditor();
          const outcomes: TransferOutcome[] = await Promise.all(
            amounts.map((amountMinor) =>
              app.transfers.send({ accountId: account.accountId, idempotencyKey: randomUUID(), amountMinor, creditor, reference: '' }),
            ),
          );
          const sent = outcomes.flatMap((outcome, index) => (outcome.status === 'sent' ? [{ fpsId: outcome.fpsId, amount: amounts[index]! }] : []));
          const refused = amounts.filter((_, index) => outcomes[index]!.status === 'refused');
          expect(sent.length + refused.length).toBe(amounts.length);
          const total = sent.reduce((sum, payment) => sum + payment.amount, 0);
          expect(total).toBeLessThanOrEqual(balance);
          // Each refusal saw at most what was left at the end, so it must not fit even now.
          for (const amount of refused) expect(amount).toBeGreaterThan(balance - total);
          const submitted = scheme.received.filter((payment) => payment.creditor.accountNumber === creditor.accountNumber).map((payment) => payment.fpsId);
          expect(submitted.sort()).toEqual(sent.map((payment) => payment.fpsId).sort());
          expect(await spendable(account)).toBe(balance - total);
          expect(await advicesOf(account)).toHaveLength(sent.length);
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);
});
