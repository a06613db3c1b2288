import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { infraEndpoints } from '@bank/infra';
import { KAFKA_TOPICS } from '@bank/shared-contracts';
import { openCustomer } from './support/customers';
import { eventually, http, startStack, type Stack } from './support/stack';

// Issue 14: after `npm test`, `npm start`'s syncer found the shared topic `primary.events` full of
// the tests' events (encrypted for the tests' key), skipped them with errors, and lagged for a
// minute. A test stack publishes to topics of its own, which it creates and deletes; nothing of it
// reaches the unprefixed topic `npm start`'s syncer reads.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

const kafka = new Kafka({ clientId: 'topics-of-its-own-test', brokers: [...infraEndpoints().kafkaBrokers], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

/** The keys (account ids) of every message on the topic from the given offsets to its current end. */
async function keysSince(topic: string, from: ReadonlyMap<number, string>): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((partition) => [partition.partition, BigInt(partition.high)]));
  await admin.disconnect();
  const pending = new Set([...ends].filter(([partition, end]) => end > BigInt(from.get(partition) ?? '0')).map(([partition]) => partition));
  const keys: string[] = [];
  if (pending.size === 0) return keys;
  const groupId = `topics-of-its-own-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          keys.push(message.key?.toString() ?? '');
          if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) pending.delete(partition);
          if (pending.size === 0) resolve();
        },
      });
    });
    for (const [partition, offset] of from) consumer.seek({ topic, partition, offset });
    await done;
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return keys;
}

async function offsets(topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((partition) => [partition.partition, partition.high]));
  } finally {
    await admin.disconnect();
  }
}

test("a test stack's events go to its own topic, synced by its own syncer, and never to npm start's primary.events", async () => {
  expect(stack.primaryEventsTopic).not.toBe(KAFKA_TOPICS.primaryEvents.name);
  const sharedBefore = await offsets(KAFKA_TOPICS.primaryEvents.name);
  const ownBefore = await offsets(stack.primaryEventsTopic);

  const customer = await openCustomer(stack, 5_000);
  // Its own syncer got them: stand-in knows the account's money.
  await eventually(
    "the run's stand-in to see the funding",
    async () =>
      (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
        .spendableMinor,
    (spendable) => spendable === 5_000,
    60_000,
  );

  expect(await keysSince(stack.primaryEventsTopic, ownBefore)).toContain(customer.id);
  // Whatever else is on npm start's topic (a running `npm start` of the developer's), none of it is this run's.
  expect(await keysSince(KAFKA_TOPICS.primaryEvents.name, sharedBefore)).not.toContain(customer.id);
}, 120_000);
