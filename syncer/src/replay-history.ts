import { randomUUID } from 'node:crypto';
import { Admin, Consumer, ListOffsetTimestamps, type Message } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName, streamBatches } from '@bank/shared-contracts';
import type { Database, StandinCardKeys } from '@bank/standin';
import { applyEventBatch } from './apply-batch';
import { addCounts, emptyCounts, reportAppliedBatch, type OutcomeCounts } from './batch-report';
import { systemClock, type Clock } from './clock';
import type { KafkaConnection } from './kafka-client';

// Replay rebuilds stand-in's synced state from Kafka's history. Synced rows are immutable and
// keyed by (entity, sequence), and every event goes through the same apply function as live
// sync, so replaying what is already there changes nothing and replaying onto an empty
// database (schema upgraded) rebuilds it. Replay does not measure lag: old events being old
// says nothing about how current stand-in is.

export type ReplayStart = { readonly fromBeginning: true } | { readonly fromTimestamp: Date };

export interface ReplayOptions {
  readonly start: ReplayStart;
  /** In front of the topic's name (KAFKA_TOPIC_PREFIX; '' for `npm start`'s topic). */
  readonly topicPrefix?: string;
  /** A fresh group by default, so replay never moves the live syncer's offsets. */
  readonly groupId?: string;
  /** Give up when nothing was applied for this long (Kafka or the database unreachable). */
  readonly idleTimeoutMs?: number;
  readonly subBatchSize?: number;
}

export interface ReplayPartition {
  readonly partition: number;
  /** First offset replayed. */
  readonly from: string;
  /** The high-water mark captured at start: replay stops there. */
  readonly to: string;
}

export interface ReplayReport {
  readonly groupId: string;
  readonly partitions: readonly ReplayPartition[];
  /** Messages read below the high-water marks. */
  readonly read: number;
  /** New: written to the synced tables (or, for types stand-in does not need, to synced_events). */
  readonly applied: number;
  readonly alreadyPresent: number;
  /** Invalid or not applicable; each is in the error log. */
  readonly skipped: number;
  readonly gaps: number;
  readonly counts: OutcomeCounts;
  readonly durationMs: number;
}

export interface ReplayDependencies {
  readonly kafka: KafkaConnection;
  readonly database: Database;
  readonly keys: StandinCardKeys;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export async function replayHistory(deps: ReplayDependencies, options: ReplayOptions): Promise<ReplayReport> {
  const clock = deps.clock ?? systemClock;
  const began = clock.now().getTime();
  const topic = kafkaTopicName(KAFKA_TOPICS.primaryEvents, options.topicPrefix ?? '');
  const groupId = options.groupId ?? `standin-syncer-replay-${randomUUID()}`;
  const logger = deps.logger.child({ replay: groupId });
  const admin = new Admin(deps.kafka);
  let consumer: Consumer | undefined;
  try {
    const partitions = await replayRange(admin, topic, options.start);
    const remaining = new Set(partitions.filter((range) => BigInt(range.from) < BigInt(range.to)).map((range) => range.partition));
    const ends = new Map(partitions.map((range) => [range.partition, BigInt(range.to)]));
    let counts = emptyCounts();
    let read = 0;
    logger.info({ start: describeStart(options.start), partitions }, 'replay starting');

    if (remaining.size > 0) {
      // The fresh group reads exactly from where the replay begins, on every partition; it commits
      // nothing (replay is idempotent) and is deleted at the end.
      consumer = new Consumer({ ...deps.kafka, groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTime: 1_000 });
      const stream = await consumer.consume({
        topics: [topic],
        mode: 'manual',
        offsets: partitions.map((range) => ({ topic, partition: range.partition, offset: BigInt(range.from) })),
        autocommit: false,
      });
      let lastProgressAt = clock.now().getTime();
      const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
      const watchdog = setInterval(() => {
        if (clock.now().getTime() - lastProgressAt > idleTimeoutMs) stream.destroy(new Error('no progress'));
      }, 1_000);
      watchdog.unref();
      const size = options.subBatchSize ?? 500;
      try {
        for await (const batch of streamBatches<Message<Buffer, Buffer, Buffer, Buffer>>(stream, size)) {
          // What arrived after the replay started is the live syncer's business.
          const history = batch.filter((message) => remaining.has(message.partition) && message.offset < (ends.get(message.partition) ?? 0n));
          if (history.length > 0) {
            const applied = await applyEventBatch(
              { database: deps.database, keys: deps.keys, clock },
              history.map((message) => ({ partition: message.partition, offset: String(message.offset), value: message.value ?? null })),
            );
            counts = addCounts(counts, reportAppliedBatch(logger, undefined, applied));
            read += history.length;
            lastProgressAt = clock.now().getTime();
          }
          for (const message of batch) {
            if (remaining.has(message.partition) && message.offset + 1n >= (ends.get(message.partition) ?? 0n)) {
              remaining.delete(message.partition);
              logger.info({ partition: message.partition }, 'partition replayed up to its high-water mark');
            }
          }
          if (remaining.size === 0) break;
        }
      } catch (error) {
        const idleMs = clock.now().getTime() - lastProgressAt;
        if (idleMs > idleTimeoutMs)
          throw new Error(`replay made no progress for ${Math.round(idleMs / 1000)} s; partitions not caught up: ${[...remaining].join(', ')}`, {
            cause: error,
          });
        throw new Error(`the replay's Kafka consumer failed: ${(error as Error).message}`, { cause: error });
      } finally {
        clearInterval(watchdog);
        await stream.close().catch(() => undefined);
      }
      if (remaining.size > 0) throw new Error(`the replay's stream ended early; partitions not caught up: ${[...remaining].join(', ')}`);
    }

    const report: ReplayReport = {
      groupId,
      partitions,
      read,
      applied: counts.applied + counts.recorded,
      alreadyPresent: counts.duplicate,
      skipped: counts.invalid + counts.unapplicable,
      gaps: counts.gaps,
      counts,
      durationMs: clock.now().getTime() - began,
    };
    logger.info({ ...report, partitions: undefined }, 'replay finished');
    return report;
  } finally {
    await consumer?.close(true).catch(() => undefined);
    // The group existed only for this replay; leave nothing behind for operators to wonder about.
    if (consumer) await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}

/** From the start offset to the high-water mark (captured now) of every partition. */
async function replayRange(admin: Admin, topic: string, start: ReplayStart): Promise<ReplayPartition[]> {
  const metadata = await admin.metadata({ topics: [topic] });
  const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
  const offsetsAt = async (timestamp: bigint) => {
    const [listed] = await admin.listOffsets({
      topics: [{ name: topic, partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
    });
    return new Map((listed?.partitions ?? []).map((entry) => [entry.partitionIndex, entry.offset]));
  };
  const ends = await offsetsAt(ListOffsetTimestamps.LATEST);
  // For a timestamp Kafka answers the first offset at or after it (-1 if none: then the high-water mark).
  const starts = await offsetsAt('fromTimestamp' in start ? BigInt(start.fromTimestamp.getTime()) : ListOffsetTimestamps.EARLIEST);
  return [...ends.entries()]
    .map(([partition, high]) => {
      const from = starts.get(partition);
      return { partition, from: String(from === undefined || from < 0n ? high : from), to: String(high) };
    })
    .sort((a, b) => a.partition - b.partition);
}

function describeStart(start: ReplayStart): string {
  return 'fromTimestamp' in start ? `from ${start.fromTimestamp.toISOString()}` : 'from the beginning';
}
