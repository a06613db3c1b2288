import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createInfra, pubsubClient } from '@bank/infra';
import { Advice, PUBSUB_TOPICS } from '@bank/shared-contracts';
import type { Message, Subscription } from '@google-cloud/pubsub';
import { startAdviceRelay } from '../src/advices/advice-relay';
import { createCardDesk } from '../src/payments/card-desk';
import type { Database } from '../src/store/database';
import { temporaryStandinDatabase } from './temporary-database';
import { SyncedAccount, testKeys } from './synced-state';
import { fixedRules } from '../src/payments/standin-rules';

// Stand-in's advices through the real Pub/Sub emulator: every advice arrives, each account's in
// sequence; with the emulator down they wait in the log and go when it is back.

const infra = createInfra();
// A database of the test's own: the relay publishes the oldest unpublished advices first, and the
// shared database holds every advice other tests made with no relay running (thousands on a
// machine that has run the suite a few times): this test's would wait behind all of them.
let database: Database;
let drop: () => Promise<void>;
let desk: ReturnType<typeof createCardDesk>;
const received = new Map<string, Advice[]>();
let subscription: Subscription;
// The relay's own client (as in stand-in's process), apart from this test's listening client.
const relayPubsub = pubsubClient(infra.config);
let pubsub = pubsubClient(infra.config);
const subscriptionName = `advice-relay-test-${randomBytes(4).toString('hex')}`;

async function listen(): Promise<void> {
  pubsub = pubsubClient(infra.config);
  const [created] = await pubsub.topic(PUBSUB_TOPICS.advices.topic).createSubscription(subscriptionName, { enableMessageOrdering: true });
  subscription = created;
  subscription.on('message', (message: Message) => {
    const advice = Advice.parse(JSON.parse(message.data.toString()));
    received.set(advice.accountId, [...(received.get(advice.accountId) ?? []), advice]);
    message.ack();
  });
}

beforeAll(async () => {
  ({ database, drop } = await temporaryStandinDatabase('advice_relay'));
  desk = createCardDesk({
    database,
    keys: testKeys,
    rules: fixedRules({ maxPerPaymentMinor: 100_000, maxPerAccountPerDayMinor: 10_000_000 }),
    now: () => new Date(),
  });
  await listen();
}, 60_000);

afterAll(async () => {
  await subscription.close();
  await subscription.delete().catch(() => undefined);
  await pubsub.close();
  await relayPubsub.close();
  await drop();
});

let stan = Math.floor(Math.random() * 900_000);
async function spend(account: SyncedAccount, times: number) {
  for (let index = 0; index < times; index++) {
    stan = (stan + 1) % 1_000_000;
    await desk.authorise({
      mti: '0100',
      pan: account.pan,
      expiry: '3011',
      processingCode: '000000',
      amountMinor: 100,
      currency: 'GBP',
      transmittedAt: new Date().toISOString(),
      stan: String(stan).padStart(6, '0'),
      rrn: randomBytes(6).toString('hex').toUpperCase(),
      terminalId: 'RELAY001',
      acquirerId: '1',
      merchant: { name: 'SHOP', categoryCode: '5411', city: 'York', country: 'GB' },
      posEntryMode: 'chip',
    });
  }
}

async function arrived(account: SyncedAccount, count: number, timeoutMs = 30_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const distinct = () => new Set((received.get(account.accountId) ?? []).map((advice) => advice.sequence)).size;
  while (distinct() < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return (received.get(account.accountId) ?? []).map((advice) => advice.sequence);
}

test("when an account's later advice is older by created_at than an earlier one (its time was taken before the account's sequence), then they are still published in sequence order", async () => {
  const account = await new SyncedAccount(database).open({ settledMinor: 100_000 });
  await spend(account, 3);
  // Sequence 3 the oldest, 1 the newest: what concurrent approvals of one account can leave behind.
  await database.query('update advices set created_at = now() - make_interval(secs => 3600 + sequence) where account_id = $1', [account.accountId]);
  // Two a pass, so the oldest rows by created_at (3, then 2) would have gone first.
  const relay = startAdviceRelay({ database, pubsub: relayPubsub, logger: pino({ level: 'silent' }) }, { batchSize: 2 });
  try {
    expect(await arrived(account, 3)).toEqual([1, 2, 3]);
  } finally {
    await relay.stop();
  }
});

test('when stand-in approves payments, then every advice reaches Pub/Sub in per-account order and is marked published', async () => {
  const relay = startAdviceRelay({ database, pubsub: relayPubsub, logger: pino({ level: 'silent' }) });
  try {
    const accounts = await Promise.all([0, 1, 2].map(() => new SyncedAccount(database).open({ settledMinor: 100_000 })));
    await Promise.all(accounts.map((account) => spend(account, 5)));
    for (const account of accounts) {
      const sequences = await arrived(account, 5);
      expect(sequences.filter((sequence, index) => sequences.indexOf(sequence) === index)).toEqual([1, 2, 3, 4, 5]);
    }
    const unpublished = await database.query('select 1 from advices where account_id = any($1::uuid[]) and published_at is null', [
      accounts.map((a) => a.accountId),
    ]);
    expect(unpublished.rowCount).toBe(0);
  } finally {
    await relay.stop();
  }
}, 60_000);

test('when the Pub/Sub emulator is down, then advices wait in the log, and go when it is back', async () => {
  const relay = startAdviceRelay({ database, pubsub: relayPubsub, logger: pino({ level: 'silent' }) }, { publishTimeoutMs: 1_000 });
  try {
    await subscription.close();
    await infra.kill('pubsub');
    const account = await new SyncedAccount(database).open({ settledMinor: 100_000 });
    await spend(account, 4);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await relay.backlog()).toBeGreaterThanOrEqual(4);
    // The emulator forgets everything on restart; infra recreates the topics, we recreate our subscription.
    await infra.start('pubsub');
    await pubsub.close();
    await listen();
    // At-least-once: a publish whose acknowledgement was lost in the outage goes again, and
    // primary dedupes by advice id. Nothing may be missing, and first arrivals keep their order.
    const sequences = await arrived(account, 4, 45_000);
    expect(sequences.filter((sequence, index) => sequences.indexOf(sequence) === index)).toEqual([1, 2, 3, 4]);
  } finally {
    await relay.stop();
  }
}, 120_000);
