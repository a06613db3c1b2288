import { Consumer, stringDeserializers, type Message } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { KAFKA_TOPICS, kafkaTopicName, PrimaryEvent, PrimaryEventHeader, streamBatches } from '@bank/shared-contracts';
import type { KafkaConnection } from '../platform/kafka';
import type { NotificationsService } from './notifications-service';

type TransactionRecorded = Extract<PrimaryEvent, { type: 'transaction.recorded' }>;
/** Notifications written per statement at most. */
const NOTIFICATIONS_PER_INSERT = 500;
const NOTIFICATIONS_FETCH_MIN_BYTES = 64 * 1024;
const NOTIFICATIONS_FETCH_MAX_WAIT_MS = 50;
/**
 * An offset commit per batch was another request per relay batch; a repeat after a crash is
 * harmless (the unique key), so once a second is enough.
 */
const COMMIT_EVERY_MS = 1_000;
/** Wait before a new consumer replaces one whose stream failed (Kafka away): doubled up to the cap. */
const RESTART_AFTER_MS = { first: 500, cap: 10_000 };

/**
 * Reads primary's own events and records a notification per card payment and transfer.
 * At-least-once from Kafka; the notification table's unique key makes it exactly-once.
 * Offsets are committed only after the batch is recorded. When its stream fails (Kafka away, a
 * rebalance the commit lost) a new consumer takes over from the committed offsets.
 */
export async function startNotificationsConsumer(deps: {
  kafka: KafkaConnection;
  notifications: NotificationsService;
  logger: Logger;
  groupId?: string;
  topicPrefix?: string;
}) {
  const prefix = deps.topicPrefix ?? '';
  const topic = kafkaTopicName(KAFKA_TOPICS.primaryEvents, prefix);
  let running = true;
  let current: { consumer: Consumer<string, string, string, string>; close(): Promise<void> } | undefined;

  const newConsumer = () =>
    new Consumer({
      ...deps.kafka,
      clientId: 'primary-notifications',
      // A test run's group is its own too, so it never shares partitions with `npm start`'s primary.
      groupId: deps.groupId ?? `${prefix}primary-notifications`,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // Fuller fetches: with a minimum of one byte the broker answers a fetch per relay batch, and
      // Kafka's CPU here goes by requests. A notification a few tens of ms later costs nobody.
      minBytes: NOTIFICATIONS_FETCH_MIN_BYTES,
      maxWaitTime: NOTIFICATIONS_FETCH_MAX_WAIT_MS,
      deserializers: stringDeserializers,
    });

  /** Records a batch's notifications, in chunks: one round trip per chunk, on the database the card path shares. */
  const record = async (batch: readonly Message<string, string, string, string>[]) => {
    for (let start = 0; start < batch.length; start += NOTIFICATIONS_PER_INSERT) {
      const events: TransactionRecorded[] = [];
      for (const message of batch.slice(start, start + NOTIFICATIONS_PER_INSERT)) {
        // A message that is not JSON is skipped like any other that is not a transaction event:
        // thrown, it would end the stream at the same message after every restart, for good.
        let raw: unknown;
        try {
          raw = JSON.parse(message.value || 'null');
        } catch {
          deps.logger.error({ offset: String(message.offset), partition: message.partition }, 'skipping a message that is not JSON');
          continue;
        }
        const header = PrimaryEventHeader.safeParse(raw);
        if (!header.success || header.data.type !== 'transaction.recorded') continue;
        const event = PrimaryEvent.safeParse(raw);
        if (event.success && event.data.type === 'transaction.recorded') events.push(event.data);
        else deps.logger.error({ offset: String(message.offset), partition: message.partition }, 'skipping an invalid transaction event');
      }
      await deps.notifications.recordAll(events);
    }
  };

  /** One consumer's life: joins, records, commits each partition's last recorded offset once a second. */
  const consumeUntilFailure = async () => {
    const consumer = newConsumer();
    const joined = new Promise<void>((resolve) => consumer.once('consumer:group:join', () => resolve()));
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'latest', autocommit: false });
    const recorded = new Map<number, Message<string, string, string, string>>();
    const commit = () => {
      const last = [...recorded.values()];
      recorded.clear();
      for (const message of last) void Promise.resolve(message.commit()).catch(() => undefined);
    };
    const committer = setInterval(commit, COMMIT_EVERY_MS);
    current = {
      consumer,
      close: async () => {
        clearInterval(committer);
        commit();
        await stream.close().catch(() => undefined);
        await consumer.close(true).catch(() => undefined);
      },
    };
    const run = (async () => {
      for await (const batch of streamBatches<Message<string, string, string, string>>(stream, NOTIFICATIONS_PER_INSERT * 4)) {
        await record(batch);
        for (const message of batch) recorded.set(message.partition, message);
      }
    })();
    return { joined, run };
  };

  const supervise = async (first: { joined: Promise<void>; run: Promise<void> }) => {
    let next: { joined: Promise<void>; run: Promise<void> } | undefined = first;
    let waitMs = RESTART_AFTER_MS.first;
    while (running) {
      try {
        next ??= await consumeUntilFailure();
        await next.run;
        if (!running) return;
        deps.logger.warn('notifications stream ended; starting a new consumer');
      } catch (error) {
        if (!running) return;
        deps.logger.warn({ err: error, retryInMs: waitMs }, 'notifications consumer failed; a new one takes over from the committed offsets');
      }
      next = undefined;
      await current?.close();
      await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
      waitMs = Math.min(RESTART_AFTER_MS.cap, waitMs * 2);
    }
  };

  const first = await consumeUntilFailure();
  const supervised = supervise(first);
  // Returning only once partitions are assigned: events committed after this are seen.
  await Promise.race([first.joined, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  return {
    stop: async () => {
      running = false;
      await current?.close();
      await supervised;
    },
  };
}
