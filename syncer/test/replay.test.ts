import { randomUUID } from 'node:crypto';
import type { Database, StandinCardKeys } from '@bank/standin';
import { replayHistory } from '../src/replay-history';
import { describeReplay, parseReplayArguments } from '../src/replay';
import {
  PrimaryAccount,
  capturedLogger,
  publish,
  randomPan,
  syncedRowsOf,
  testCardKeys,
  untilSynced,
  unsealPan,
  type PublishedEvent,
  syncerBench,
  TOPIC_PREFIX,
  type TestProducer,
} from './harness';
import type { KafkaConnection } from '../src/kafka-client';

// Replay rebuilds stand-in's synced state from Kafka's history through the same apply
// function as live sync: onto an empty database it gives exactly what live sync gave, and
// onto a database that already has it, it changes nothing.

const card = testCardKeys();
const groupId = `syncer-test-replay-${randomUUID()}`;
// The live-synced database and the one replay rebuilds: both of the test's own.
const bench = syncerBench('replay', card);
let database: Database;
let replayDatabase: Database;
let kafka: KafkaConnection;
let producer: TestProducer;

beforeAll(async () => {
  ({ database, kafka, producer } = await bench.start());
  replayDatabase = await bench.database();
  // Live sync into `database`, for replay to be compared with.
  await bench.syncer({ groupId });
}, 180_000);

afterAll(() => bench.stop());

/** Rows compared by what they say: a sealed PAN is re-sealed with a fresh nonce each time, so compare the PAN it seals. */
async function comparableRows(from: Database, accountIds: readonly string[], keys: StandinCardKeys): Promise<Record<string, unknown[]>> {
  const rows = await syncedRowsOf(from, accountIds);
  rows.synced_cards = (rows.synced_cards ?? []).map((row) => ({
    ...row,
    pan_sealed: unsealPan(keys, row.pan_sealed as { nonce: string; sealed: string; tag: string }),
  }));
  const gaps = await from.query(
    'select account_id, expected_sequence, received_sequence from sync_gaps where account_id = any($1::uuid[]) order by account_id, received_sequence',
    [accountIds],
  );
  return { ...rows, sync_gaps: gaps.rows };
}

function busyHistory(account: PrimaryAccount): PublishedEvent[] {
  const cardId = randomUUID();
  const transactionId = randomUUID();
  const payeeId = randomUUID();
  const correlationId = randomUUID();
  return [
    account.opened(),
    account.credential(randomUUID()),
    account.balance(10_000),
    account.cardIssued(randomPan(), cardId),
    account.transaction(transactionId, -500, 'pending', { correlationId, cardId }),
    account.balance(10_000, 500, { correlationId }),
    account.cardStatus(cardId, 'frozen'),
    account.other('statement.generated'),
    account.transaction(transactionId, -500, 'settled', { correlationId, cardId }),
    account.balance(9_500, 0, { correlationId }),
    account.pot(randomUUID(), 1_000),
    account.payeeAdded(payeeId),
    account.payeeRemoved(payeeId),
    account.updated({ status: 'open', overdraftLimitMinor: 5_000, unapprovedOverdraft: false }),
    account.cardStatus(cardId, 'active'),
  ];
}

test('when history is replayed onto an empty stand-in database, then it rebuilds exactly what live sync wrote, and replaying again changes nothing', async () => {
  // Kafka stamps each message when it is produced; replay from just before the first.
  const from = new Date(Date.now() - 1);
  const accounts = Array.from({ length: 4 }, () => new PrimaryAccount(card));
  const histories = accounts.map(busyHistory);
  // One account's history has a hole: replay must record the same gap as live sync did.
  const holed = accounts[3]!;
  holed.skip();
  histories[3]!.push(holed.balance(1));
  for (const history of histories) await publish(producer, history);
  const ids = accounts.map((account) => account.accountId);
  const total = histories.reduce((sum, history) => sum + history.length, 0);
  for (const [index, account] of accounts.entries()) await untilSynced(database, account.accountId, histories[index]!.length);

  const { logger } = capturedLogger();
  const report = await replayHistory(
    { kafka, database: replayDatabase, keys: card.keys, logger },
    { start: { fromTimestamp: from }, topicPrefix: TOPIC_PREFIX },
  );
  // The topic is shared with whatever else runs: at least ours, all new to the empty database.
  expect(report.read).toBeGreaterThanOrEqual(total);
  expect(report.applied).toBeGreaterThanOrEqual(total);
  expect(report.gaps).toBeGreaterThanOrEqual(1);
  expect(describeReplay(report)).toMatch(/^replayed primary\.events: read \d+, applied \d+, already present \d+, skipped \d+, gaps \d+/);

  const liveRows = await comparableRows(database, ids, card.keys);
  expect(liveRows.synced_events).toHaveLength(total);
  expect(liveRows.sync_gaps).toEqual([{ account_id: holed.accountId, expected_sequence: 16, received_sequence: 17 }]);
  expect(await comparableRows(replayDatabase, ids, card.keys)).toEqual(liveRows);

  // Again, onto the rebuilt database and onto the live one beside the running syncer: nothing new.
  const again = await replayHistory(
    { kafka, database: replayDatabase, keys: card.keys, logger },
    { start: { fromTimestamp: from }, topicPrefix: TOPIC_PREFIX },
  );
  expect(again.alreadyPresent).toBeGreaterThanOrEqual(total);
  expect(await comparableRows(replayDatabase, ids, card.keys)).toEqual(liveRows);
  const ontoLive = await replayHistory({ kafka, database, keys: card.keys, logger }, { start: { fromTimestamp: from }, topicPrefix: TOPIC_PREFIX });
  expect(ontoLive.alreadyPresent).toBeGreaterThanOrEqual(total);
  expect(await comparableRows(database, ids, card.keys)).toEqual(liveRows);
}, 120_000);

test('when replay starts after the last event, then it reads nothing and finishes at once', async () => {
  const report = await replayHistory(
    { kafka, database: replayDatabase, keys: card.keys, logger: capturedLogger().logger },
    { start: { fromTimestamp: new Date(Date.now() + 60_000) }, topicPrefix: TOPIC_PREFIX },
  );
  expect(report).toMatchObject({ read: 0, applied: 0, alreadyPresent: 0, skipped: 0 });
});

test('the replay command takes --from-beginning or --from-timestamp <ISO 8601>, and explains itself otherwise', () => {
  expect(parseReplayArguments(['--from-beginning'])).toEqual({ fromBeginning: true });
  expect(parseReplayArguments(['--from-timestamp', '2026-11-21T09:00:00Z'])).toEqual({ fromTimestamp: new Date('2026-11-21T09:00:00Z') });
  expect(() => parseReplayArguments([])).toThrow(/usage: replay \(--from-beginning \| --from-timestamp/);
  expect(() => parseReplayArguments(['--from-timestamp'])).toThrow(/usage/);
  expect(() => parseReplayArguments(['--from-timestamp', 'yesterday'])).toThrow(/yesterday is not an ISO 8601 timestamp/);
  expect(() => parseReplayArguments(['--from-beginning', '--from-timestamp', '2026-11-21T09:00:00Z'])).toThrow(/usage/);
});
