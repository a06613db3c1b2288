import { randomUUID } from 'node:crypto';
import type { Database } from '@bank/standin';
import type { AppliedBatch } from '../src/apply-batch';
import type { RunningSyncer } from '../src/syncer';
import {
  PrimaryAccount,
  capturedLogger,
  countRows,
  eventually,
  openStandinDatabase,
  positionGroupAtEnd,
  publish,
  syncedSequences,
  testCardKeys,
  type PublishedEvent,
  syncerBench,
  type TestProducer,
} from './harness';
import type { KafkaConnection } from '../src/kafka-client';

// At-least-once from Kafka, exactly-once in stand-in: a syncer stopped mid-stream and started
// again, or one whose database connections are cut while it writes, ends with every event
// applied once and no gap.

const card = testCardKeys();
const bench = syncerBench('restart', card);
let database: Database;
let databaseUrl: string;
let kafka: KafkaConnection;
let producer: TestProducer;

beforeAll(async () => {
  ({ database, url: databaseUrl, kafka, producer } = await bench.start());
}, 180_000);

afterAll(() => bench.stop());

const ACCOUNTS = 8;
const EVENTS_PER_ACCOUNT = 25;

/** Many accounts' histories, published before the syncer starts so it has a backlog to work through. */
async function publishBacklog(groupId: string): Promise<PrimaryAccount[]> {
  await positionGroupAtEnd(kafka, bench.group(groupId));
  const accounts = Array.from({ length: ACCOUNTS }, () => new PrimaryAccount(card));
  const events: PublishedEvent[] = [];
  for (const account of accounts) {
    events.push(account.opened());
    for (let index = 1; index < EVENTS_PER_ACCOUNT; index += 1) events.push(account.balance(index * 100));
  }
  await publish(producer, events);
  return accounts;
}

/** Counts outcomes of this test's own events (the topic may carry other tests' events too). */
function counter(accountIds: readonly string[]) {
  const ours = new Set(accountIds);
  const counts = { applied: 0, duplicate: 0 };
  const observe = (batch: AppliedBatch) => {
    for (const message of batch.messages) {
      if (!message.header || !ours.has(message.header.accountId)) continue;
      if (message.outcome === 'applied') counts.applied += 1;
      if (message.outcome === 'duplicate') counts.duplicate += 1;
    }
  };
  return { counts, observe };
}

async function expectEverythingOnce(accounts: readonly PrimaryAccount[]): Promise<void> {
  const ids = accounts.map((account) => account.accountId);
  const expected = Array.from({ length: EVENTS_PER_ACCOUNT }, (_, index) => index + 1);
  await eventually(async () => (await countRows(database, ids)).synced_events === ACCOUNTS * EVENTS_PER_ACCOUNT, 'every event to be synced', 60_000);
  for (const account of accounts) expect(await syncedSequences(database, account.accountId)).toEqual(expected);
  expect(await countRows(database, ids)).toMatchObject({
    synced_events: ACCOUNTS * EVENTS_PER_ACCOUNT,
    synced_accounts: ACCOUNTS,
    synced_balances: ACCOUNTS * (EVENTS_PER_ACCOUNT - 1),
    sync_gaps: 0,
  });
}

test('when a syncer is stopped mid-stream and started again with the same group, then it carries on where it stopped: no gap, no duplicate, everything applied', async () => {
  const groupId = `syncer-test-restart-${randomUUID()}`;
  const accounts = await publishBacklog(groupId);
  const ids = accounts.map((account) => account.accountId);
  const { logger } = capturedLogger();

  const first = counter(ids);
  let stopped: Promise<void> | undefined;
  // Batches may be applied before bench.syncer returns: the callback finds the syncer here once it has it.
  const started: { syncer?: RunningSyncer } = {};
  const syncer = await bench.syncer({
    groupId,
    logger,
    subBatchSize: 5,
    partitionsConsumedConcurrently: 1,
    onBatchApplied: (batch) => {
      first.observe(batch);
      // Stop from inside the stream, the way SIGTERM arrives: whenever it likes.
      if (first.counts.applied >= 10 && !stopped && started.syncer) stopped = started.syncer.stop();
    },
  });
  started.syncer = syncer;
  await eventually(async () => stopped !== undefined, 'a few sub-batches of ours');
  await stopped;
  expect(syncer.consumerState()).toBe('stopped');

  // Mid-stream: some applied, and exactly what was applied is in the database.
  expect(first.counts.applied).toBeGreaterThan(0);
  expect(first.counts.applied).toBeLessThan(ACCOUNTS * EVENTS_PER_ACCOUNT);
  expect((await countRows(database, ids)).synced_events).toBe(first.counts.applied);

  const second = counter(ids);
  const restarted = await bench.syncer({ groupId, logger, onBatchApplied: second.observe });
  await expectEverythingOnce(accounts);
  // Offsets were committed with each transaction: nothing applied before the stop comes again.
  expect(second.counts.duplicate).toBe(0);
  expect(first.counts.applied + second.counts.applied).toBe(ACCOUNTS * EVENTS_PER_ACCOUNT);
  await restarted.stop();
}, 120_000);

test("when the syncer's database connections are cut while it writes, then it retries and every event is applied once, with no gap", async () => {
  const groupId = `syncer-test-cut-${randomUUID()}`;
  const accounts = await publishBacklog(groupId);
  const applicationName = `syncer_test_${randomUUID().replaceAll('-', '')}`;
  const syncerDatabase = openStandinDatabase(databaseUrl, applicationName);
  const { logger } = capturedLogger();

  // Cut its connections over and over while the backlog is applied, from outside, as a failover would.
  let cuts = 0;
  let cutting = true;
  const cutter = (async () => {
    const deadline = Date.now() + 3_000;
    while (cutting && Date.now() < deadline) {
      const { rowCount } = await database.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
      cuts += rowCount ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();

  const syncer = await bench.syncer({ database: syncerDatabase, groupId, logger, subBatchSize: 5, partitionsConsumedConcurrently: 2 });
  try {
    await expectEverythingOnce(accounts);
    expect(cuts).toBeGreaterThan(0);
    expect((await syncer.health()).status).toBe('ok');
  } finally {
    cutting = false;
    await cutter;
    await syncer.stop();
    await syncerDatabase.end();
  }
}, 120_000);

test('when two syncer replicas share the group, then the partitions are split between them, both settle on consuming, and every event is applied once', async () => {
  const groupId = `syncer-test-replicas-${randomUUID()}`;
  const accounts = await publishBacklog(groupId);
  const crashes = async (syncer: RunningSyncer) => (await syncer.metrics.consumerCrashes.get()).values.reduce((sum, value) => sum + value.value, 0);
  const one = await bench.syncer({ groupId, subBatchSize: 5 });
  // The second joins while the first works through the backlog: a rebalance under load.
  const two = await bench.syncer({ groupId, subBatchSize: 5 });
  await expectEverythingOnce(accounts);
  await eventually(async () => one.consumerState() === 'consuming' && two.consumerState() === 'consuming', 'both replicas consuming');
  // A rebalance may cost a replica one restart (a commit the rebalance refused), never a cycle of them.
  expect(await crashes(one)).toBeLessThanOrEqual(1);
  expect(await crashes(two)).toBeLessThanOrEqual(1);
  // Still two members sharing the work: the next events of every account are applied too.
  const more = accounts.map((account) => account.balance(99_999));
  await publish(producer, more);
  for (const account of accounts)
    await eventually(async () => (await syncedSequences(database, account.accountId)).length === EVENTS_PER_ACCOUNT + 1, 'the next event of each account');
  await one.stop();
  await two.stop();
}, 120_000);
