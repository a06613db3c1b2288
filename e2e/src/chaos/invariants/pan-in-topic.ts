import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { PanFinder } from './pan-finder';

// Every message on `primary.events` since the run began (found by timestamp, so other runs'
// history is not read), consumed in a throwaway consumer group up to the end offsets seen when the
// scan started: where a PAN appears (partition, offset), and how many messages were the run's.

export interface TopicScan {
  readonly messages: number;
  readonly ofRunAccounts: number;
  readonly complete: boolean;
  readonly hits: { partition: number; offset: string; pans: string[] }[];
}

export async function panInTopic(options: {
  brokers: readonly string[];
  topic: string;
  sinceMs: number;
  accounts: ReadonlySet<string>;
  finder: PanFinder;
  timeoutMs: number;
}): Promise<TopicScan> {
  const topic = options.topic;
  const kafka = new Kafka({
    clientId: 'chaos-pan-scan',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `chaos-pan-scan-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, retry: { retries: 3 } });
  const hits: TopicScan['hits'] = [];
  let messages = 0;
  let ofRunAccounts = 0;
  try {
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, options.sinceMs);
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((partition) => [partition.partition, Number(partition.high)]));
    const remaining = new Map(
      starts.filter((start) => Number(start.offset) < (ends.get(start.partition) ?? 0)).map((start) => [start.partition, Number(start.offset)]),
    );
    if (remaining.size === 0) return { messages: 0, ofRunAccounts: 0, complete: true, hits };

    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition) ?? 0;
        if (!remaining.has(partition) || Number(message.offset) >= end) return;
        messages++;
        const key = message.key?.toString('utf8') ?? '';
        if (options.accounts.has(key)) ofRunAccounts++;
        const pans = options.finder.find(`${key} ${message.value?.toString('utf8') ?? ''}`);
        if (pans.length > 0) hits.push({ partition, offset: message.offset, pans });
        if (Number(message.offset) + 1 >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) finished();
        }
      },
    });
    for (const [partition, offset] of remaining) consumer.seek({ topic, partition, offset: String(offset) });
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), options.timeoutMs).unref()),
    ]);
    return { messages, ofRunAccounts, complete: !timedOut, hits };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
