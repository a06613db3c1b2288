import { randomUUID } from 'node:crypto';
import { Admin, Consumer, ListOffsetTimestamps, type Message } from '@platformatic/kafka';
import { streamBatches } from '@bank/shared-contracts';
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
  const connection = { clientId: 'chaos-pan-scan', bootstrapBrokers: [...options.brokers], connectTimeout: 3_000, timeout: 10_000, retries: 3 };
  const admin = new Admin(connection);
  const groupId = `chaos-pan-scan-${randomUUID()}`;
  let consumer: Consumer | undefined;
  const hits: TopicScan['hits'] = [];
  let messages = 0;
  let ofRunAccounts = 0;
  try {
    const partitions = (await admin.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0;
    const offsetsAt = async (timestamp: bigint) => {
      const [listed] = await admin.listOffsets({
        topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
      });
      return new Map((listed?.partitions ?? []).map((entry) => [entry.partitionIndex, entry.offset]));
    };
    const ends = await offsetsAt(ListOffsetTimestamps.LATEST);
    // The first offset at or after the run's start (-1: nothing since, so nothing to read there).
    const starts = await offsetsAt(BigInt(options.sinceMs));
    const remaining = new Map([...starts].filter(([partition, offset]) => offset >= 0n && offset < (ends.get(partition) ?? 0n)));
    if (remaining.size === 0) return { messages: 0, ofRunAccounts: 0, complete: true, hits };

    consumer = new Consumer({ ...connection, groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'manual',
      offsets: [...remaining].map(([partition, offset]) => ({ topic, partition, offset })),
      autocommit: false,
    });
    const scan = (async () => {
      for await (const batch of streamBatches<Message<Buffer, Buffer, Buffer, Buffer>>(stream, 500)) {
        for (const message of batch) {
          const end = ends.get(message.partition) ?? 0n;
          if (!remaining.has(message.partition) || message.offset >= end) continue;
          messages++;
          const key = message.key?.toString('utf8') ?? '';
          if (options.accounts.has(key)) ofRunAccounts++;
          const pans = options.finder.find(`${key} ${message.value?.toString('utf8') ?? ''}`);
          if (pans.length > 0) hits.push({ partition: message.partition, offset: String(message.offset), pans });
          if (message.offset + 1n >= end) remaining.delete(message.partition);
        }
        if (remaining.size === 0) return false;
      }
      return true;
    })();
    const timedOut = await Promise.race([scan, new Promise<boolean>((resolve) => setTimeout(() => resolve(true), options.timeoutMs).unref())]);
    await stream.close().catch(() => undefined);
    return { messages, ofRunAccounts, complete: !timedOut, hits };
  } finally {
    await consumer?.close(true).catch(() => undefined);
    if (consumer) await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}
