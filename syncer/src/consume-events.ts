import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type Message } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName, streamBatches } from '@bank/shared-contracts';
import type { Database, StandinCardKeys } from '@bank/standin';
import { applyEventBatch, type AppliedBatch } from './apply-batch';
import { reportAppliedBatch, type OutcomeCounts } from './batch-report';
import type { Clock } from './clock';
import { startNewGroupAtEnd } from './group-start';
import type { KafkaConnection } from './kafka-client';
import type { LagRecorder } from './lag';
import type { SyncerMetrics } from './metrics';

export type ConsumerState =
  /** Connecting and joining the group. */
  | 'starting'
  | 'consuming'
  /** Failed (Kafka away, database away too long, a rebalance its commit lost); a new consumer takes over. */
  | 'restarting'
  /** Failed on a bug of its own (a TypeError and the like): restarting would fail the same way, only a new process helps. */
  | 'crashed'
  /** Stopped on purpose. */
  | 'stopped';

export interface EventConsumer {
  readonly groupId: string;
  state(): ConsumerState;
  /** False only once the consumer crashed for good: what /health reports as liveness. */
  live(): boolean;
  /** Finishes the sub-batch in hand (its offsets committed), then leaves the group. */
  stop(): Promise<void>;
}

export interface EventConsumerDependencies {
  readonly kafka: KafkaConnection;
  readonly database: Database;
  readonly keys: StandinCardKeys;
  readonly logger: Logger;
  readonly metrics: SyncerMetrics;
  readonly lag: LagRecorder;
  readonly clock: Clock;
}

export interface EventConsumerOptions {
  readonly groupId: string;
  /** In front of the topic's name: a test run's own topic (KAFKA_TOPIC_PREFIX; '' for `npm start`). */
  readonly topicPrefix?: string;
  /**
   * Where a group without committed offsets starts. The beginning by default: stand-in needs
   * every account's history. Otherwise the topic's end (a test stack of its own that only
   * needs what happens from now on).
   */
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** Messages per database transaction; a Kafka batch larger than this is applied in several. */
  readonly subBatchSize?: number;
  /** Partitions applied at once: each is a different set of accounts, so they never touch the same rows. */
  readonly partitionsConsumedConcurrently?: number;
  /** Told after each sub-batch commits, with its offsets committed (tests watch progress with it). */
  readonly onBatchApplied?: (batch: AppliedBatch, counts: OutcomeCounts) => void;
}

const DEFAULTS = {
  topicPrefix: '',
  fromBeginning: true,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  subBatchSize: 500,
  partitionsConsumedConcurrently: 3,
};

/** Wait before a new consumer replaces a failed one: doubled per failure in a row, up to the cap. */
const RESTART_AFTER_MS = { first: 300, cap: 10_000 };

type EventRecord = Message<Buffer, Buffer, Buffer, Buffer>;

/** A bug of the syncer's own, not a fault of Kafka or the database: restarting would only repeat it. */
function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof ReferenceError || error instanceof SyntaxError || error instanceof RangeError;
}

/** The batch's messages by partition, each partition's in offset order (the stream keeps it). */
function byPartition(messages: readonly EventRecord[]): EventRecord[][] {
  const partitions = new Map<number, EventRecord[]>();
  for (const message of messages) {
    const list = partitions.get(message.partition);
    if (list) list.push(message);
    else partitions.set(message.partition, [message]);
  }
  return [...partitions.values()];
}

/** Runs `work` on every item, at most `limit` at once; fails with the first failure once all settled. */
async function eachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item).catch((error: unknown) => void failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/**
 * Joins the consumer group on primary.events and applies what arrives. At-least-once from
 * Kafka, exactly-once in effect: a sub-batch's offset is committed only after its database
 * transaction commits, and a redelivered event is recognised by (account, sequence). When the
 * consumer fails (Kafka away, the database away too long, a rebalance its commit lost) a new one
 * takes over from the committed offsets, after a wait that grows while failures repeat.
 */
export async function startEventConsumer(deps: EventConsumerDependencies, options: EventConsumerOptions): Promise<EventConsumer> {
  const settings = { ...DEFAULTS, ...options };
  const logger = deps.logger.child({ groupId: settings.groupId });
  const topic = kafkaTopicName(KAFKA_TOPICS.primaryEvents, settings.topicPrefix);
  let state: ConsumerState = 'starting';
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const setState = (next: ConsumerState) => {
    state = next;
    deps.metrics.consumerLive.set(next === 'crashed' ? 0 : 1);
  };
  setState('starting');

  const newConsumer = () => {
    const consumer = new Consumer({
      ...deps.kafka,
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      // An idle fetch returns within a second, so a graceful stop does not wait out a long poll.
      maxWaitTime: 1_000,
    });
    consumer.on('consumer:group:join', (payload) => {
      if (!stopping) setState('consuming');
      const partitions = payload.assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? [];
      logger.info({ memberId: payload.memberId, partitions }, 'joined the consumer group');
    });
    consumer.on('consumer:group:rebalance', () => logger.info('consumer group rebalancing'));
    // The client retries on its own and says nothing: a broker that refuses us is worth a line.
    consumer.on('client:broker:failed', (payload: { broker: { host: string; port: number } }) => {
      if (!stopping) logger.warn({ broker: `${payload.broker.host}:${payload.broker.port}` }, 'could not connect to the Kafka broker; the client retries');
    });
    consumer.on('consumer:heartbeat:error', (payload) => {
      if (!stopping) logger.warn({ err: payload.error }, 'Kafka consumer heartbeat failed');
    });
    return consumer;
  };

  /** Applies one partition's messages, a sub-batch per transaction, committing each one's offset after. */
  const applyPartition = async (messages: readonly EventRecord[]) => {
    for (let start = 0; start < messages.length; start += settings.subBatchSize) {
      if (stopping) return;
      const slice = messages.slice(start, start + settings.subBatchSize);
      const partition = slice[0]!.partition;
      let applied: AppliedBatch;
      try {
        applied = await applyEventBatch(
          deps,
          slice.map((message) => ({ partition, offset: String(message.offset), value: message.value ?? null })),
        );
      } catch (error) {
        // Nothing of it was committed and its offset is not: the new consumer gets it again.
        logger.warn({ err: error, partition, fromOffset: String(slice[0]!.offset), messages: slice.length }, 'applying a batch failed; it is retried');
        throw error;
      }
      const counts = reportAppliedBatch(logger, deps.metrics, applied);
      // After the transaction: a crash in between re-applies it, and (account, sequence) dedupes.
      await slice.at(-1)!.commit();
      progressed = true;
      const visible = applied.messages.filter((message) => message.outcome === 'applied' || message.outcome === 'recorded');
      await deps.lag.record(
        visible.flatMap((message) => (message.header ? [message.header.occurredAt] : [])),
        applied.visibleAt,
      );
      await deps.lag.heard(applied.visibleAt);
      settings.onBatchApplied?.(applied, counts);
    }
  };

  let current: { consumer: Consumer; close(): Promise<void> } | undefined;
  /** Whether the consumer committed anything since the last restart: a failure after progress restarts at once. */
  let progressed = false;
  /** The batch being applied, which a graceful stop lets finish. */
  let applying: Promise<void> | undefined;
  /** One consumer's life: joins, then applies what it is given until its stream fails or it is stopped. */
  const consumeUntilFailure = async (): Promise<{ joined: Promise<void>; run: Promise<void> }> => {
    const consumer = newConsumer();
    const joined = new Promise<void>((resolve) => consumer.once('consumer:group:join', () => resolve()));
    let stream: Awaited<ReturnType<Consumer['consume']>> | undefined;
    current = {
      consumer,
      close: async () => {
        await stream?.close().catch(() => undefined);
        await consumer.close(true).catch(() => undefined);
      },
    };
    try {
      stream = await consumer.consume({
        topics: [topic],
        mode: 'committed',
        fallbackMode: settings.fromBeginning ? 'earliest' : 'latest',
        autocommit: false,
      });
    } catch (error) {
      await current.close();
      throw error;
    }
    // Every answered fetch, empty ones too: proof Kafka is reachable (the lag's silence alert).
    stream.on('fetch', () => void deps.lag.heard(deps.clock.now()));
    const messages = stream;
    const run = (async () => {
      for await (const batch of streamBatches<EventRecord>(messages, settings.subBatchSize * settings.partitionsConsumedConcurrently)) {
        if (stopping) return;
        applying = eachConcurrently(byPartition(batch), settings.partitionsConsumedConcurrently, applyPartition);
        try {
          await applying;
        } finally {
          applying = undefined;
        }
      }
    })();
    return { joined, run };
  };

  /** Replaces a failed consumer until stopped, or until it fails on a bug of its own. */
  const supervise = async (first: { run: Promise<void> }) => {
    let life: { run: Promise<void> } | undefined = first;
    let waitMs = RESTART_AFTER_MS.first;
    while (!stopping) {
      try {
        life ??= await consumeUntilFailure();
        await life.run;
        if (stopping) return;
        throw new Error("the consumer's stream ended by itself");
      } catch (error) {
        if (stopping) return;
        const restart = !isProgrammingError(error);
        deps.metrics.consumerCrashes.inc({ restarted: String(restart) });
        setState(restart ? 'restarting' : 'crashed');
        logger.error(
          { err: error, restart, retryInMs: restart ? waitMs : undefined },
          restart
            ? 'Kafka consumer failed; a new one takes over from the committed offsets'
            : 'Kafka consumer crashed and will not restart: the syncer is no longer syncing',
        );
        await current?.close();
        if (!restart) return;
      }
      life = undefined;
      if (progressed) waitMs = RESTART_AFTER_MS.first;
      progressed = false;
      await sleep(waitMs);
      waitMs = Math.min(RESTART_AFTER_MS.cap, waitMs * 2);
    }
  };

  if (!settings.fromBeginning && (await startNewGroupAtEnd(deps.kafka, settings.groupId, topic))) {
    logger.info('new consumer group: starting at the end of the topic');
  }
  const first = await consumeUntilFailure();
  const supervised = supervise(first);

  return {
    groupId: settings.groupId,
    state: () => state,
    live: () => state !== 'crashed',
    stop() {
      stopped ??= (async () => {
        stopping = true;
        // The sub-batch in hand finishes (its transaction and offset) before the consumer leaves.
        await applying?.catch(() => undefined);
        await current?.close();
        await supervised;
        setState('stopped');
        logger.info('Kafka consumer stopped');
      })();
      return stopped;
    },
  };
}
