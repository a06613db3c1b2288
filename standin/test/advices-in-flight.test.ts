import pino from 'pino';
import { AdvicesInFlightReport, StatusResponse } from '@bank/shared-contracts';
import { advicesInFlightReport, markAppliedAdvices, startAppliedAdviceSweep } from '../src/advices/advices-in-flight';
import { createStandinServer } from '../src/app/server';
import { setCardFrozen } from '../src/cards/card-freezes';
import { operatorsFromEnvironment } from '../src/configuration/operators';
import { createCardDesk } from '../src/payments/card-desk';
import { createFasterPaymentsDesk } from '../src/payments/faster-payments-desk';
import type { Database } from '../src/store/database';
import { SyncedAccount, testKeys } from './synced-state';
import { temporaryStandinDatabase } from './temporary-database';
import { TEST_SERVICES } from './test-credentials';
import { fixedRules } from '../src/payments/standin-rules';

// Stand-in's advices primary has not applied yet, against a real PostgreSQL: not yet published,
// published, and applied (primary's event with the advice's correlation id synced back). A
// database of the test's own, because the figures count every advice.

let database: Database;
let drop: () => Promise<void>;
let address = '';
const OPERATOR_TOKEN = 'in-flight-test-operator-token';
let server: ReturnType<typeof createStandinServer>;

beforeAll(async () => {
  ({ database, drop } = await temporaryStandinDatabase('in_flight'));
  const now = () => new Date();
  server = createStandinServer({
    database,
    logger: pino({ level: 'silent' }),
    now,
    keys: testKeys,
    services: TEST_SERVICES,
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: `in-flight-operator:${OPERATOR_TOKEN}` }),
    cards: createCardDesk({ database, keys: testKeys, rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 1_000_000 }), now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
  });
  address = await server.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  await drop?.();
});

const get = async (path: string, token?: string) => {
  const response = await fetch(`${address}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: (await response.json()) as unknown };
};
const correlationOf = async (account: SyncedAccount) =>
  (
    await database.query<{ correlation_id: string }>('select correlation_id from advices where account_id = $1 order by sequence desc limit 1', [
      account.accountId,
    ])
  ).rows[0]!.correlation_id;
const publishAll = () => database.query('update advices set published_at = now() where published_at is null');

describe("stand-in's advices in flight", () => {
  test('when a freeze is recorded, published, then applied by primary, then it counts as not published, then published and not applied, then not at all', async () => {
    const alice = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    const bob = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    await setCardFrozen({ database, now: () => new Date(), keys: testKeys }, { cardId: alice.cardId, accountId: alice.accountId }, true);

    const recorded = await advicesInFlightReport(database, new Date());
    expect(recorded.total).toMatchObject({ notPublished: 1, publishedNotApplied: 0, users: 1 });
    expect(recorded.byUser).toEqual([{ userId: alice.customerId, notPublished: 1, publishedNotApplied: 0, oldestAt: expect.any(String) }]);

    await publishAll();
    await setCardFrozen({ database, now: () => new Date(), keys: testKeys }, { cardId: bob.cardId, accountId: bob.accountId }, true);
    const published = await advicesInFlightReport(database, new Date());
    expect(published.total).toMatchObject({ notPublished: 1, publishedNotApplied: 1, users: 2 });
    expect(published.byUser.map((user) => [user.userId, user.notPublished, user.publishedNotApplied])).toEqual([
      [alice.customerId, 0, 1],
      [bob.customerId, 1, 0],
    ]);
    expect(published.total.oldestAt).toBe(published.byUser[0]!.oldestAt);

    // Primary applies alice's freeze: its card change carries no correlation id, the balance it announces does.
    await alice.cardStatus('frozen', new Date());
    expect((await advicesInFlightReport(database, new Date())).total).toMatchObject({ publishedNotApplied: 1 });
    await alice.balance(1_000, 0, 0, await correlationOf(alice));
    // Exact before the sweep has marked anything, and after.
    expect((await advicesInFlightReport(database, new Date())).byUser.map((user) => user.userId)).toEqual([bob.customerId]);
    expect(await markAppliedAdvices(database)).toBe(1);
    expect(await markAppliedAdvices(database)).toBe(0);
    const after = await advicesInFlightReport(database, new Date());
    expect(after.total).toMatchObject({ notPublished: 1, publishedNotApplied: 0, users: 1 });

    // Applied before it was ever marked published (the advice consumer's re-drive reads stand-in's log): not in flight.
    await bob.balance(1_000, 0, 0, await correlationOf(bob));
    const none = await advicesInFlightReport(database, new Date());
    expect(none).toMatchObject({ total: { notPublished: 0, publishedNotApplied: 0, users: 0 }, byUser: [] });
    expect(none.total.oldestAt).toBeUndefined();
  });

  test("when the sweep runs, then it marks an advice once primary's event for it is back, and stops when told", async () => {
    const dave = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    await setCardFrozen({ database, now: () => new Date(), keys: testKeys }, { cardId: dave.cardId, accountId: dave.accountId }, true);
    const correlationId = await correlationOf(dave);
    const seenAt = async () =>
      (await database.query<{ applied_seen_at: Date | null }>('select applied_seen_at from advices where correlation_id = $1', [correlationId])).rows[0]!
        .applied_seen_at;
    const sweep = startAppliedAdviceSweep({ database, logger: pino({ level: 'silent' }) }, { sweepIntervalMs: 20, sweepMaxIntervalMs: 40 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(await seenAt()).toBeNull();
      await dave.balance(1_000, 0, 0, correlationId);
      const deadline = Date.now() + 5_000;
      while ((await seenAt()) === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await seenAt()).toBeInstanceOf(Date);
    } finally {
      await sweep.stop();
    }
  });

  test('when an operator asks, then the report is served and parses; a customer or nobody is refused; /status carries the totals', async () => {
    const carol = await new SyncedAccount(database).open({ settledMinor: 1_000 });
    await setCardFrozen({ database, now: () => new Date(), keys: testKeys }, { cardId: carol.cardId, accountId: carol.accountId }, true);
    const report = await get('/advices/in-flight', OPERATOR_TOKEN);
    expect(report.status).toBe(200);
    expect(AdvicesInFlightReport.parse(report.body).byUser.map((user) => user.userId)).toContain(carol.customerId);
    expect((await get('/advices/in-flight', carol.token)).status).toBe(403);
    expect((await get('/advices/in-flight')).status).toBe(401);

    const status = StatusResponse.parse((await get('/status')).body);
    expect(status.advicesInFlight).toMatchObject({ notPublished: 1, users: 1, oldestAgeMs: expect.any(Number) });
  });
});
