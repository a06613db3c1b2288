import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName } from '@bank/shared-contracts';
import type { Database, StandinCardKeys } from '@bank/standin';
import { applyEventBatch } from './apply-batch';
import { addCounts, emptyCounts, reportAppliedBatch, type OutcomeCounts } from './batch-report';
import { systemClock, type Clock } from './clock';

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
  readonly kafka: Kafka;
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
  const admin = deps.kafka.admin();
  let consumer: Consumer | undefined;
  await admin.connect();
  try {
    const partitions = await replayRange(admin, topic, options.start);
    const remaining = new Set(partitions.filter((range) => BigInt(range.from) < BigInt(range.to)).map((range) => range.partition));
    const ends = new Map(partitions.map((range) => [range.partition, BigInt(range.to)]));
    let counts = emptyCounts();
    let read = 0;
    logger.info({ start: describeStart(options.start), partitions }, 'replay starting');

    if (remaining.size > 0) {
      // The fresh group starts exactly where the replay begins, on every partition.
      await admin.setOffsets({ groupId, topic, partitions: partitions.map((range) => ({ partition: range.partition, offset: range.from })) });
      const replayConsumer = deps.kafka.consumer({
        groupId,
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
        maxWaitTimeInMs: 1_000,
        retry: { retries: 8, restartOnFailure: async () => true },
      });
      consumer = replayConsumer;

      let lastProgressAt = clock.now().getTime();
      const finished = new Promise<void>((resolve, reject) => {
        replayConsumer.on(replayConsumer.events.CRASH, ({ payload }) => {
          logger.error({ err: payload.error, restart: payload.restart }, 'replay consumer crashed');
          if (!payload.restart) reject(new Error(`the replay's Kafka consumer crashed: ${payload.error.message}`));
        });
        const watchdog = setInterval(() => {
          const idleMs = clock.now().getTime() - lastProgressAt;
          if (idleMs > (options.idleTimeoutMs ?? 60_000))
            reject(new Error(`replay made no progress for ${Math.round(idleMs / 1000)} s; partitions not caught up: ${[...remaining].join(', ')}`));
        }, 1_000);
        watchdog.unref();
        const done = () => {
          clearInterval(watchdog);
          resolve();
        };

        replayConsumer
          .connect()
          .then(() => replayConsumer.subscribe({ topic, fromBeginning: true }))
          .then(() =>
            replayConsumer.run({
              eachBatchAutoResolve: false,
              autoCommitThreshold: 1,
              partitionsConsumedConcurrently: 3,
              eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning }) => {
                const end = ends.get(batch.partition) ?? 0n;
                if (!remaining.has(batch.partition)) return;
                // What arrived after the replay started is the live syncer's business.
                const history = batch.messages.filter((message) => BigInt(message.offset) < end);
                const size = options.subBatchSize ?? 500;
                for (let start = 0; start < history.length; start += size) {
                  if (!isRunning()) return;
                  const messages = history.slice(start, start + size);
                  const applied = await applyEventBatch(
                    { database: deps.database, keys: deps.keys, clock },
                    messages.map((message) => ({ partition: batch.partition, offset: message.offset, value: message.value })),
                  );
                  counts = addCounts(counts, reportAppliedBatch(logger, undefined, applied));
                  read += messages.length;
                  lastProgressAt = clock.now().getTime();
                  resolveOffset(messages[messages.length - 1]!.offset);
                  await commitOffsetsIfNecessary();
                  await heartbeat();
                }
                if (BigInt(batch.lastOffset()) + 1n >= end) {
                  remaining.delete(batch.partition);
                  logger.info({ partition: batch.partition }, 'partition replayed up to its high-water mark');
                  if (remaining.size === 0) done();
                }
              },
            }),
          )
          .catch((error: unknown) => {
            clearInterval(watchdog);
            reject(error as Error);
          });
      });
      await finished;
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
    await consumer?.disconnect().catch(() => undefined);
    // The group existed only for this replay; leave nothing behind for operators to wonder about.
    if (consumer) await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** From the start offset to the high-water mark (captured now) of every partition. */
async function replayRange(admin: Admin, topic: string, start: ReplayStart): Promise<ReplayPartition[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  // For a timestamp Kafka answers the first offset at or after it (the high-water mark if none).
  const starts =
    'fromTimestamp' in start
      ? new Map((await admin.fetchTopicOffsetsByTimestamp(topic, start.fromTimestamp.getTime())).map((entry) => [entry.partition, entry.offset]))
      : new Map(ends.map((entry) => [entry.partition, entry.low]));
  return ends
    .map((entry) => ({ partition: entry.partition, from: starts.get(entry.partition) ?? entry.high, to: entry.high }))
    .sort((a, b) => a.partition - b.partition);
}

function describeStart(start: ReplayStart): string {
  return 'fromTimestamp' in start ? `from ${start.fromTimestamp.toISOString()}` : 'from the beginning';
}
