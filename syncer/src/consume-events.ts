import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName } from '@bank/shared-contracts';
import type { Database, StandinCardKeys } from '@bank/standin';
import { applyEventBatch, type AppliedBatch } from './apply-batch';
import { reportAppliedBatch, type OutcomeCounts } from './batch-report';
import type { Clock } from './clock';
import { startNewGroupAtEnd } from './group-start';
import type { LagRecorder } from './lag';
import type { SyncerMetrics } from './metrics';

export type ConsumerState =
  /** Connecting and joining the group. */
  | 'starting'
  | 'consuming'
  /** Crashed (Kafka away, database away too long); kafkajs restarts it. */
  | 'restarting'
  /** Crashed and kafkajs will not restart it: only a new process helps. */
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
  readonly kafka: Kafka;
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

/**
 * Joins the consumer group on primary.events and applies what arrives. At-least-once from
 * Kafka, exactly-once in effect: a sub-batch's offsets are resolved and committed only after
 * its database transaction commits, and a redelivered event is recognised by (account, sequence).
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

  const consumer = deps.kafka.consumer({
    groupId: settings.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    // An idle fetch returns within a second, so a graceful stop does not wait out a long poll.
    maxWaitTimeInMs: 1_000,
    // When Kafka goes away the consumer crashes after its retries; restarting it means the
    // syncer carries on by itself when Kafka is back, from the last committed offsets.
    retry: {
      retries: 8,
      restartOnFailure: async (error) => {
        logger.error({ err: error }, 'Kafka consumer failed; restarting it');
        return true;
      },
    },
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    if (!stopping) setState('consuming');
    logger.info({ memberId: payload.memberId, partitions: payload.memberAssignment[topic] ?? [] }, 'joined the consumer group');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    deps.metrics.consumerCrashes.inc({ restarted: String(payload.restart) });
    if (!stopping) setState(payload.restart ? 'restarting' : 'crashed');
    logger.error(
      { err: payload.error, restart: payload.restart },
      payload.restart ? 'Kafka consumer crashed; it restarts' : 'Kafka consumer crashed and will not restart: the syncer is no longer syncing',
    );
  });
  consumer.on(consumer.events.DISCONNECT, () => {
    if (stopping) logger.info('Kafka consumer disconnected');
    else logger.warn('Kafka consumer disconnected');
  });
  consumer.on(consumer.events.REBALANCING, () => logger.info('consumer group rebalancing'));
  // Every answered fetch, empty ones too: proof Kafka is reachable (the lag's silence alert).
  consumer.on(consumer.events.FETCH, () => void deps.lag.heard(deps.clock.now()));

  const applyMessages = async (partition: number, messages: readonly KafkaMessage[]) => {
    let applied: AppliedBatch;
    try {
      applied = await applyEventBatch(
        deps,
        messages.map((message) => ({ partition, offset: message.offset, value: message.value })),
      );
    } catch (error) {
      // Nothing of it was committed and its offsets are not resolved: kafkajs retries it.
      logger.warn({ err: error, partition, fromOffset: messages[0]?.offset, messages: messages.length }, 'applying a batch failed; it is retried');
      throw error;
    }
    const counts = reportAppliedBatch(logger, deps.metrics, applied);
    return { applied, counts };
  };

  try {
    if (!settings.fromBeginning && (await startNewGroupAtEnd(deps.kafka, settings.groupId, topic))) {
      logger.info('new consumer group: starting at the end of the topic');
    }
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: settings.fromBeginning });
    await consumer.run({
      eachBatchAutoResolve: false,
      // Every resolved offset is committed at the next commitOffsetsIfNecessary: right after its transaction.
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) => {
        for (let start = 0; start < batch.messages.length; start += settings.subBatchSize) {
          // Stopping or seeking: what is not resolved is delivered again, to us or another member.
          if (!isRunning() || isStale()) return;
          const messages = batch.messages.slice(start, start + settings.subBatchSize);
          const { applied, counts } = await applyMessages(batch.partition, messages);
          resolveOffset(messages[messages.length - 1]!.offset);
          await commitOffsetsIfNecessary();
          const visible = applied.messages.filter((message) => message.outcome === 'applied' || message.outcome === 'recorded');
          await deps.lag.record(
            visible.flatMap((message) => (message.header ? [message.header.occurredAt] : [])),
            applied.visibleAt,
          );
          await deps.lag.heard(applied.visibleAt);
          settings.onBatchApplied?.(applied, counts);
          // A long batch must not look like a dead member to the group coordinator.
          await heartbeat();
        }
      },
    });
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }

  return {
    groupId: settings.groupId,
    state: () => state,
    live: () => state !== 'crashed',
    stop() {
      stopped ??= (async () => {
        stopping = true;
        await consumer.disconnect();
        setState('stopped');
      })();
      return stopped;
    },
  };
}
