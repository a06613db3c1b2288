import { randomUUID } from 'node:crypto';
import { Admin, Consumer, ListOffsetTimestamps, type Message } from '@platformatic/kafka';
import { infraEndpoints } from '@bank/infra';
import { streamBatches, KAFKA_TOPICS } from '@bank/shared-contracts';
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

const kafka = { clientId: 'topics-of-its-own-test', bootstrapBrokers: [...infraEndpoints().kafkaBrokers], retries: 3 };

/** The keys (account ids) of every message on the topic from the given offsets to its current end. */
async function keysSince(topic: string, from: ReadonlyMap<number, bigint>): Promise<string[]> {
  const ends = await offsets(topic);
  const pending = new Set([...ends].filter(([partition, end]) => end > (from.get(partition) ?? 0n)).map(([partition]) => partition));
  const keys: string[] = [];
  if (pending.size === 0) return keys;
  const groupId = `topics-of-its-own-${randomUUID()}`;
  const consumer = new Consumer({ ...kafka, groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'manual',
      offsets: [...pending].map((partition) => ({ topic, partition, offset: from.get(partition) ?? 0n })),
      autocommit: false,
    });
    for await (const batch of streamBatches<Message<Buffer, Buffer, Buffer, Buffer>>(stream, 500)) {
      for (const message of batch) {
        if (!pending.has(message.partition)) continue;
        keys.push(message.key?.toString() ?? '');
        if (message.offset + 1n >= (ends.get(message.partition) ?? 0n)) pending.delete(message.partition);
      }
      if (pending.size === 0) break;
    }
    await stream.close();
  } finally {
    await consumer.close(true);
    const admin = new Admin(kafka);
    await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    await admin.close();
  }
  return keys;
}

/** Each partition's end (high-water mark) now. */
async function offsets(topic: string): Promise<Map<number, bigint>> {
  const admin = new Admin(kafka);
  try {
    const partitions = (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0;
    const [listed] = await admin.listOffsets({
      topics: [
        { name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: ListOffsetTimestamps.LATEST })) },
      ],
    });
    return new Map((listed?.partitions ?? []).map((entry) => [entry.partitionIndex, entry.offset]));
  } finally {
    await admin.close();
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
