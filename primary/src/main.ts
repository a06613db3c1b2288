import { buildPrimary } from './app';
import { readPrimaryEnvironment } from './config';
import { describeEnvironment, listenHostFromEnvironment } from '@bank/shared-contracts';
import { systemClock } from './platform/clock';
import { createRedisCache } from './platform/cache';
import { createPool } from './platform/db';
import { kafkaConnection } from './platform/kafka';
import { createLogger } from './platform/logger';
import { createMetrics } from './platform/metrics';
import { startOutboxRelay } from './outbox/relay';
import { httpFasterPaymentsScheme } from './transfers/faster-payments-scheme';
import { startNotificationsConsumer } from './notifications/notifications-consumer';
import { createConfigurationPeerSync } from './configuration/peer-sync';
import { httpStandinProxy } from './routing/standin-proxy';
import { startTimeoutReversals } from './routing/timeout-reversals';
import { cardAccountLookup } from './shadow/card-accounts';
import { startShadowSender } from './shadow/shadow-sender';
import { startHoldExpiry } from './card-processor/hold-expiry';
import { rateLimitRedis } from './platform/rate-limits';

/** How long a stop may take (npm start's runner SIGKILLs a service after 15 s). */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** How often routing re-reads the configuration from the database (other primary processes' changes). */
const CONFIGURATION_REFRESH_MS = 1_000;
/** How often expired authorisation holds are looked for: days matter here, not seconds. */
const HOLD_EXPIRY_SWEEP_MS = 60_000;

// Primary as one process: the HTTP APIs, the outbox relay, and the stand-in configuration kept
// current in memory for payment routing.
async function main(): Promise<void> {
  const environment = readPrimaryEnvironment();
  const config = environment.values;
  const logger = createLogger({ name: 'primary', level: config.logLevel });
  const startLine = describeEnvironment(environment);
  logger[startLine.level](startLine.fields, startLine.message);
  const metrics = createMetrics();
  const db = createPool(config.databaseUrl, { onRoundTrip: () => metrics.databaseRoundTrips.inc({ pool: 'main' }) });
  // The card authorisation path's own pool: its connections are not taken by the outbox relay or
  // the app's traffic, a connection wait counts against the card budget, and no statement on it
  // outlives the budget (the function's own deadline is earlier; this is the backstop).
  const cardDb = createPool(config.databaseUrl, {
    maxConnections: config.cardPoolSize,
    statementTimeoutMs: config.cardBudgetMs,
    connectionTimeoutMs: config.cardBudgetMs,
    onRoundTrip: () => metrics.databaseRoundTrips.inc({ pool: 'card' }),
  });
  const fasterPaymentsScheme = httpFasterPaymentsScheme({ url: config.fasterPaymentsSchemeUrl });
  const cache = createRedisCache({ url: config.redisUrl, logger });
  const standin = httpStandinProxy({ url: config.standin.url, timeoutMs: config.standin.proxyTimeoutMs, credential: config.credentials.own ?? '' });
  const timeoutReversals = startTimeoutReversals({ db, panKey: config.keys.primary, standin, clock: systemClock, logger, metrics });
  // Always running: whether anything is shadowed is the configuration's shadow percentage, changed at run time.
  const shadow = startShadowSender({
    standinUrl: config.standin.url,
    primaryCredential: config.credentials.own ?? '',
    accountOf: cardAccountLookup({ db, indexKey: config.keys.indexKey }),
    clock: systemClock,
    logger,
    metrics,
    options: config.shadow,
  });
  // Counted in Redis so every replica limits together.
  const rateLimits = { ...config.rateLimits, redis: rateLimitRedis(config.redisUrl) };
  const { app, services } = buildPrimary({
    db,
    cardDb,
    clock: systemClock,
    keys: config.keys,
    services: config.credentials.accepted,
    logger,
    metrics,
    fasterPaymentsScheme,
    cache,
    operators: config.operators,
    standin,
    timeoutReversals,
    shadow,
    clearingMatchWaitMs: config.clearingMatchWaitMs,
    cardBudgetMs: config.cardBudgetMs,
    serveApiDocs: config.serveApiDocs,
    appOrigins: config.appOrigins,
    customerTokenTtlDays: config.customerTokenTtlDays,
    notificationStreamsPerCustomer: config.notificationStreamsPerCustomer,
    rateLimits,
  });

  // Route the first message with the stored configuration, not the initial one.
  const { store: configurationStore, cache: configuration } = services.configuration;
  await configuration.refresh();
  const configurationRefresh = configuration.startRefreshing(CONFIGURATION_REFRESH_MS);
  const peerSync = createConfigurationPeerSync({
    standinUrl: config.standin.url,
    primaryCredential: config.credentials.own ?? '',
    timeoutMs: 1_000,
    store: configurationStore,
    cache: configuration,
    logger,
    metrics,
  }).start(config.configurationPeerSyncMs);

  const kafka = kafkaConnection(config.kafkaBrokers, config.kafkaSecurity);
  const relay = startOutboxRelay({ db, kafka, logger, metrics }, { topicPrefix: config.kafkaTopicPrefix, lingerMs: config.outboxRelayLingerMs });
  // Notifications must not keep primary from serving: if Kafka is down at start, keep trying.
  let notificationsConsumer: { stop(): Promise<void> } | undefined;
  const startNotifications = () =>
    startNotificationsConsumer({ kafka, notifications: services.notifications, logger, topicPrefix: config.kafkaTopicPrefix }).then(
      (started) => void (notificationsConsumer = started),
      (error: unknown) => {
        logger.warn({ err: error }, 'notifications consumer could not start; retrying in 5 s');
        setTimeout(() => void startNotifications(), 5_000).unref();
      },
    );
  void startNotifications();

  // Authorisation holds nobody cleared within HOLD_EXPIRY_DAYS are released.
  const holdExpiry = startHoldExpiry({
    processor: services.cardProcessor,
    clock: systemClock,
    logger,
    metrics,
    expiryDays: config.holdExpiryDays,
    everyMs: HOLD_EXPIRY_SWEEP_MS,
  });

  // Outbound payments whose scheme answer never came are asked again, with the same FPS id.
  const retryTimer = setInterval(() => {
    services.transfers.retryUnanswered().catch((error: unknown) => logger.warn({ err: error }, 'retrying unanswered Faster Payments failed'));
  }, 5_000);

  const host = listenHostFromEnvironment(process.env);
  await app.listen({ port: config.port, host });
  logger.info({ host, port: config.port, configurationVersion: configuration.current().version, standinUrl: config.standin.url }, 'primary listening');

  const shutdown = async () => {
    clearInterval(retryTimer);
    await holdExpiry.stop();
    await peerSync.stop();
    await configurationRefresh.stop();
    await app.close();
    await timeoutReversals.stop();
    await shadow.stop();
    standin.close();
    await relay.stop();
    await notificationsConsumer?.stop().catch(() => undefined);
    await cache.close();
    rateLimits.redis.disconnect();
    await cardDb.end();
    await db.end();
    process.exit(0);
  };
  // Every step of a stop has its own limit, but a client retrying an absent server (Kafka,
  // Pub/Sub, PostgreSQL) may hold one up: past this deadline the process exits anyway.
  const stopWithDeadline = () => {
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    void shutdown().catch(() => process.exit(1));
  };
  process.once('SIGTERM', stopWithDeadline);
  process.once('SIGINT', stopWithDeadline);
}

main().catch((error: unknown) => {
  console.error(`primary failed to start: ${(error as Error).message}`);
  process.exit(1);
});
