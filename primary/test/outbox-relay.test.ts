import { constants, privateDecrypt, randomUUID } from 'node:crypto';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import pino from 'pino';
import { createInfra, infraEndpoints } from '@bank/infra';
import { KAFKA_TOPICS, kafkaTopicName, kafkaTopicPrefixFromEnvironment, PrimaryEvent, type PrimaryEvent as Event } from '@bank/shared-contracts';
import { createMetrics } from '../src/platform/metrics';
import { kafkaConnection } from '../src/platform/kafka';
import { startOutboxRelay } from '../src/outbox/relay';
import { startNotificationsConsumer } from '../src/notifications/notifications-consumer';
import { authorisation, startPrimary, type TestPrimary } from './harness';

// The outbox against the real Kafka: every committed change reaches the topic, keyed by
// account, in per-account sequence; with Kafka killed the backlog waits and then drains.

const kafka = kafkaConnection(infraEndpoints().kafkaBrokers);
// The test run's own topic (`npm test` sets KAFKA_TOPIC_PREFIX), never `npm start`'s.
const TOPIC_PREFIX = kafkaTopicPrefixFromEnvironment(process.env);
let primary: TestPrimary;
let following: { stop(): Promise<void> };
let relay: ReturnType<typeof startOutboxRelay>;
const received = new Map<string, Event[]>();
const rawMessages: string[] = [];
/** Accounts with an event whose message key was not the account id. */
const keyedWrongly: string[] = [];

/**
 * The event a message holds, or undefined when it holds none. The test run's topic is shared by
 * every suite of the run, some of which publish malformed events on purpose (the syncer's poison
 * tests): a handler that threw on them would end the consumer's stream at the same message, again
 * and again. An event of this test's accounts that does not parse is missed, and its test fails.
 */
function primaryEventIn(text: string): Event | undefined {
  try {
    const parsed = PrimaryEvent.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  // A database of its own: the relay sends the oldest unsent events first, and the shared database
  // holds every event other tests made with no relay running (many thousands once the suite has
  // run a few times on a machine): this test's would wait behind all of them.
  primary = await startPrimary({ ownDatabase: 'outbox_relay' });
  // This test kills the broker under the consumer: it must come back by itself, as the syncer does.
  following = await followTopic((key, text) => {
    rawMessages.push(text);
    const event = primaryEventIn(text);
    if (!event) return;
    if (key !== event.accountId) keyedWrongly.push(event.accountId);
    received.set(event.accountId, [...(received.get(event.accountId) ?? []), event]);
  });
  // What the run's topic holds in CI from earlier suites, planted: messages that are not events.
  const producer = new Producer({ ...kafka, clientId: 'outbox-relay-test-poison', serializers: stringSerializers });
  await producer.send({
    messages: [
      { topic: kafkaTopicName(KAFKA_TOPICS.primaryEvents, TOPIC_PREFIX), key: 'poison', value: 'not json at all' },
      { topic: kafkaTopicName(KAFKA_TOPICS.primaryEvents, TOPIC_PREFIX), key: 'poison', value: JSON.stringify({ type: 'not.an.event' }) },
    ],
  });
  await producer.close();
  relay = startOutboxRelay(
    { db: primary.db, kafka, logger: pino({ level: 'silent' }), metrics: createMetrics() },
    { sendTimeoutMs: 2_000, topicPrefix: TOPIC_PREFIX },
  );
}, 60_000);

afterAll(async () => {
  await relay.stop();
  await following.stop();
  await primary.close();
});

/**
 * Reads the test run's topic from its end (what this test makes), in a group of its own; when the
 * stream fails (the broker killed) a new consumer carries on from the committed offsets.
 * Resolves once the group has partitions, so nothing produced after is missed.
 */
async function followTopic(onMessage: (key: string, value: string) => void): Promise<{ stop(): Promise<void> }> {
  const groupId = `outbox-relay-test-${randomUUID()}`;
  let running = true;
  let consumer: Consumer<string, string, string, string> | undefined;
  // The first consumer starts at the end; a replacement where its group committed, or at the
  // beginning of a partition it never committed in (the relay may have drained into it meanwhile).
  const start = async (fallbackMode: 'latest' | 'earliest') => {
    consumer = new Consumer({
      ...kafka,
      clientId: 'outbox-relay-test',
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      deserializers: stringDeserializers,
    });
    const joined = new Promise<void>((resolve) => consumer!.once('consumer:group:join', () => resolve()));
    const stream = await consumer.consume({
      topics: [kafkaTopicName(KAFKA_TOPICS.primaryEvents, TOPIC_PREFIX)],
      mode: 'committed',
      fallbackMode,
      autocommit: 200,
    });
    stream.on('data', (message) => onMessage(message.key, message.value));
    const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
    stream.on('error', () => undefined);
    return { joined, ended };
  };
  const first = await start('latest');
  const supervised = (async () => {
    let current = first;
    while (running) {
      await current.ended;
      await consumer?.close(true).catch(() => undefined);
      while (running) {
        try {
          current = await start('earliest');
          break;
        } catch {
          await consumer?.close(true).catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  })();
  await first.joined;
  return {
    async stop() {
      running = false;
      await consumer?.close(true).catch(() => undefined);
      await supervised;
    },
  };
}

/**
 * These accounts' events as the topic holds them, in log order, read from the beginning by a
 * consumer group of its own, until each account has `counts` distinct sequences or `timeoutMs`
 * passes. A stream that fails (the broker still settling) is replaced, reading from the start
 * again. Why the streams failed is returned with the events, to say so when they fall short.
 */
async function topicFromStart(counts: ReadonlyMap<string, number>, timeoutMs: number): Promise<{ events: Map<string, Event[]>; failures: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  let events = new Map<string, Event[]>();
  const complete = () => [...counts].every(([accountId, count]) => new Set((events.get(accountId) ?? []).map((event) => event.sequence)).size >= count);
  while (!complete() && Date.now() < deadline) {
    events = new Map();
    const consumer = new Consumer({
      ...kafka,
      clientId: 'outbox-relay-test-reader',
      groupId: `outbox-relay-test-reader-${randomUUID()}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      deserializers: stringDeserializers,
    });
    try {
      const stream = await consumer.consume({ topics: [kafkaTopicName(KAFKA_TOPICS.primaryEvents, TOPIC_PREFIX)], mode: 'earliest', autocommit: false });
      let failed = false;
      stream.on('data', (message) => {
        const event = primaryEventIn(message.value);
        if (event && counts.has(event.accountId)) events.set(event.accountId, [...(events.get(event.accountId) ?? []), event]);
      });
      stream.on('error', (error: Error) => {
        failed = true;
        if (!failures.includes(error.message)) failures.push(error.message);
      });
      while (!complete() && !failed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    } catch (error) {
      if (!failures.includes((error as Error).message)) failures.push((error as Error).message);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await consumer.close(true).catch(() => undefined);
    }
  }
  return { events, failures };
}

async function eventsFor(accountId: string, count: number, timeoutMs = 60_000): Promise<Event[]> {
  const deadline = Date.now() + timeoutMs;
  while ((received.get(accountId)?.length ?? 0) < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  return received.get(accountId) ?? [];
}

async function busyAccount() {
  const account = await primary.openAccount();
  await primary.fund(account, 5_000);
  const card = await primary.issueCard(account.id);
  await primary.call('POST', '/scheme/card/authorisations', { body: authorisation(card, 1_200) });
  await primary.call('POST', `/cards/${card.id}/freeze`, { token: account.token });
  return { account, card };
}

const sequencesOf = (events: Event[]) => events.map((event) => event.sequence);
const expectedCount = async (accountId: string) =>
  Number((await primary.db.query<{ count: string }>('select count(*) from outbox_events where account_id = $1', [accountId])).rows[0]!.count);

test('when an account changes, then every event reaches Kafka keyed by account, in sequence from 1, and no PAN is on the topic', async () => {
  const { account, card } = await busyAccount();
  const count = await expectedCount(account.id);
  const events = await eventsFor(account.id, count);
  expect(sequencesOf(events)).toEqual(Array.from({ length: count }, (_, index) => index + 1));
  expect(events.map((event) => event.type)).toEqual(
    expect.arrayContaining(['account.opened', 'balance.changed', 'transaction.recorded', 'card.issued', 'card.status_changed']),
  );
  expect(rawMessages.some((message) => message.includes(card.pan))).toBe(false);
  expect(keyedWrongly).not.toContain(account.id);
  // Only stand-in's private key B opens the PAN that crossed.
  const issued = events.find((event) => event.type === 'card.issued');
  if (issued?.type !== 'card.issued') throw new Error('no card.issued event');
  const pan = privateDecrypt(
    { key: primary.standinPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    Buffer.from(issued.payload.panForStandin.ciphertextBase64, 'base64'),
  );
  expect(pan.toString('utf8')).toBe(card.pan);
});

test('when a card payment and a transfer happen, then the notifications consumer records one notification each, readable by the app', async () => {
  const notifications = await startNotificationsConsumer({
    kafka,
    notifications: primary.services.notifications,
    logger: pino({ level: 'silent' }),
    groupId: `notifications-test-${randomUUID()}`,
    topicPrefix: TOPIC_PREFIX,
  });
  try {
    const { account } = await busyAccount();
    const notificationsOf = async (count: number) => {
      const deadline = Date.now() + 30_000;
      let listed: { title: string; body: string }[] = [];
      while (listed.length < count && Date.now() < deadline) {
        listed = (await primary.call('GET', `/accounts/${account.id}/notifications`, { token: account.token })).body.notifications;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return listed.map((notification) => [notification.title, notification.body]);
    };
    expect(await notificationsOf(2)).toEqual([
      ['Card payment', '£12.00 at CORNER SHOP'],
      ['Money in', '£50.00 from Employer Ltd: SALARY'],
    ]);
    // A message that is not JSON, then a transaction, on the account's partition in one send: the
    // consumer skips the one and records the other. (Before, the first ended its stream, and the
    // replacement began past both.)
    const recorded = (received.get(account.id) ?? []).find((event) => event.type === 'transaction.recorded' && event.payload.kind === 'card_payment');
    if (recorded?.type !== 'transaction.recorded') throw new Error('no transaction.recorded event followed');
    const another = { ...recorded, eventId: randomUUID(), payload: { ...recorded.payload, transactionId: randomUUID(), description: 'AFTER THE POISON' } };
    const producer = new Producer({ ...kafka, clientId: 'outbox-relay-test-poison', serializers: stringSerializers });
    const topic = kafkaTopicName(KAFKA_TOPICS.primaryEvents, TOPIC_PREFIX);
    await producer.send({
      messages: [
        { topic, key: account.id, value: 'not json at all' },
        { topic, key: account.id, value: JSON.stringify(another) },
      ],
    });
    await producer.close();
    expect((await notificationsOf(3))[0]).toEqual(['Card payment', '£12.00 at AFTER THE POISON']);
  } finally {
    await notifications.stop();
  }
}, 60_000);

test('when Kafka is killed, then changes still commit, the backlog waits, and after a restart it drains with nothing lost or reordered', async () => {
  const infra = createInfra();
  // The relay is what is tested here: what it wrote is read back from the topic afterwards, from
  // the beginning. A consumer living through the broker's kill is the syncer's test (its restart
  // tests, chaos d).
  await following.stop();
  await infra.kill('kafka');
  try {
    const during = await Promise.all([busyAccount(), busyAccount(), busyAccount()]);
    expect(await relay.backlog()).toBeGreaterThan(0);
    await infra.start('kafka');
    const counts = new Map<string, number>();
    for (const { account } of during) counts.set(account.id, await expectedCount(account.id));
    const { events: written, failures } = await topicFromStart(counts, 150_000);
    for (const { account } of during) {
      const count = counts.get(account.id)!;
      const events = written.get(account.id) ?? [];
      if (new Set(sequencesOf(events)).size < count)
        console.log(
          `outbox relay test: ${account.id} short of its ${count} events; the reader's failures: ${JSON.stringify(failures)}; relay backlog ${await relay.backlog()}`,
        );
      // At-least-once: a batch cut off by the kill may be written twice; consumers dedupe by (account, sequence).
      const unique = [...new Map(events.map((event) => [event.sequence, event])).values()];
      expect(sequencesOf(unique)).toEqual(Array.from({ length: count }, (_, index) => index + 1));
      // Nothing reordered: in the log's order, first copies first, the sequences climb.
      const firstArrivals = sequencesOf(events).filter((sequence, index, all) => all.indexOf(sequence) === index);
      expect(firstArrivals).toEqual([...firstArrivals].sort((a, b) => a - b));
    }
    const deadline = Date.now() + 30_000;
    while ((await relay.backlog()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await relay.backlog()).toBe(0);
  } finally {
    await infra.start('kafka');
  }
}, 300_000);
