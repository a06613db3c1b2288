import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import { compatibilityPartitioner, ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName } from '@bank/shared-contracts';
import { withConnection, type Db } from '../platform/db';
import type { KafkaConnection } from '../platform/kafka';
import type { PrimaryMetrics } from '../platform/metrics';

export interface OutboxRelayOptions {
  readonly batchSize: number;
  readonly idleDelayMs: number;
  /**
   * After a part-full batch, wait this long before the next (OUTBOX_RELAY_LINGER_MS). Kafka's CPU
   * here goes by requests, not bytes: at a few hundred payments a second a relay that sends every
   * event as it commits made the broker the third-largest user of the two cores (0.2-0.3 of a core
   * in `npm run bench -- primary-auth`), with an outbox update per small batch. A few ms of sync
   * lag buys fuller batches.
   */
  readonly lingerMs: number;
  readonly sendTimeoutMs: number;
  /** In front of the topic's name: a test run's own topic (KAFKA_TOPIC_PREFIX; '' for `npm start`). */
  readonly topicPrefix: string;
}

export const DEFAULT_RELAY_LINGER_MS = 10;
const DEFAULTS: OutboxRelayOptions = { batchSize: 500, idleDelayMs: 50, lingerMs: DEFAULT_RELAY_LINGER_MS, sendTimeoutMs: 5_000, topicPrefix: '' };

// One relay at a time per database: a second process waits on this lock rather than
// publishing the same rows twice in a different order.
const RELAY_LOCK = 7_310_002;

/**
 * Publishes committed outbox rows to Kafka (key: account id), oldest first, then marks them
 * published. At-least-once: a crash between send and mark re-sends, and consumers dedupe by
 * (account, sequence). When Kafka is down the breaker opens, rows wait, and drain after.
 */
// After this many failed sends in a row the producer is replaced: an idempotent producer whose
// broker was killed can be left with sequence numbers the restarted broker rejects for ever.
const FAILURES_BEFORE_NEW_PRODUCER = 3;

export function startOutboxRelay(deps: { db: Db; kafka: KafkaConnection; logger: Logger; metrics: PrimaryMetrics }, options: Partial<OutboxRelayOptions> = {}) {
  const settings = { ...DEFAULTS, ...options };
  const topic = kafkaTopicName(KAFKA_TOPICS.primaryEvents, settings.topicPrefix);
  let running = true;
  // Idempotent, and one send at a time (each awaited): the client's own retries cannot duplicate
  // or reorder a batch. Partitioned as Java clients (and kafkajs before) do, murmur2 of the account
  // id, so an account's events stay in the partition they were always in.
  const newProducer = () =>
    new Producer({
      ...deps.kafka,
      clientId: 'primary-outbox-relay',
      timeout: settings.sendTimeoutMs,
      idempotent: true,
      acks: ProduceAcks.ALL,
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      serializers: stringSerializers,
    });
  let producer = newProducer();
  let failuresInARow = 0;

  const send = new CircuitBreaker(
    async (messages: { key: string; value: string }[]) => {
      try {
        await producer.send({ messages: messages.map((message) => ({ topic, key: message.key, value: message.value })) });
        failuresInARow = 0;
      } catch (error) {
        if (++failuresInARow >= FAILURES_BEFORE_NEW_PRODUCER) {
          const broken = producer;
          producer = newProducer();
          failuresInARow = 0;
          void broken.close(true).catch(() => undefined);
        }
        throw error;
      }
    },
    { timeout: settings.sendTimeoutMs + 1_000, volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeout: 2_000, name: 'outbox-relay-kafka' },
  );
  send.on('open', () => deps.logger.error({ breaker: 'outbox-relay-kafka' }, 'Kafka unreachable: outbox relay paused, events wait in the outbox'));
  send.on('close', () => deps.logger.info({ breaker: 'outbox-relay-kafka' }, 'Kafka reachable again: outbox relay draining'));

  async function relayOnce(): Promise<number> {
    // The connection is held across the send to Kafka: it must survive its database going away.
    return withConnection(deps.db, async ({ client }) => {
      const locked = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [RELAY_LOCK]);
      if (!locked.rows[0]?.locked) return 0;
      try {
        // The event as PostgreSQL's own JSON text: no parse and re-stringify on the event loop the card path shares.
        const { rows } = await client.query<{ id: string; account_id: string; event: string }>(
          'select id, account_id, event::text as event from outbox_events where published_at is null order by id limit $1',
          [settings.batchSize],
        );
        if (rows.length === 0) return 0;
        await send.fire(rows.map((row) => ({ key: row.account_id, value: row.event })));
        await client.query('update outbox_events set published_at = now() where id = any($1::bigint[])', [rows.map((row) => row.id)]);
        deps.metrics.outboxPublished.inc(rows.length);
        return rows.length;
      } finally {
        await client.query('select pg_advisory_unlock($1)', [RELAY_LOCK]);
      }
    });
  }

  async function loop(): Promise<void> {
    while (running) {
      let published = 0;
      try {
        published = await relayOnce();
      } catch (error) {
        if (!send.opened) deps.logger.warn({ err: error }, 'outbox relay pass failed; retrying');
        await sleep(500);
      }
      if (published === 0) await sleep(settings.idleDelayMs);
      else if (published < settings.batchSize && settings.lingerMs > 0) await sleep(settings.lingerMs);
    }
  }

  const stopped = loop();
  return {
    /** Rows not yet published: the backlog an operator watches while Kafka is down. */
    backlog: async () => Number((await deps.db.query<{ count: string }>('select count(*) from outbox_events where published_at is null')).rows[0]?.count ?? 0),
    async stop() {
      running = false;
      await stopped;
      send.shutdown();
      await producer.close().catch(() => undefined);
    },
  };
}
