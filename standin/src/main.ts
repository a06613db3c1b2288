import { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import { listenHostFromEnvironment } from '@bank/shared-contracts';
import { Registry } from 'prom-client';
import { startAdviceRelay } from './advices/advice-relay';
import { startAppliedAdviceSweep } from './advices/advices-in-flight';
import { createStandinServer } from './app/server';
import { transferRoutes } from './app/app-routes';
import { cardStatementTimeoutMs } from './payments/card-authorisation';
import { cardAuthorisationObservers } from './payments/card-authorisation-metrics';
import { createCardDesk, DEFAULT_CARD_BUDGET_MS, DEFAULT_CARD_POOL_SIZE } from './payments/card-desk';
import { createFasterPaymentsDesk } from './payments/faster-payments-desk';
import { DEFAULT_RISK_LIMITS } from './payments/authorisation-rules';
import { DEFAULT_FASTER_PAYMENTS_SCHEME_URL, httpFasterPaymentsScheme } from './payments/faster-payments-scheme';
import { createOutboundTransfers } from './payments/outbound-transfers';
import { startOutboundRetries } from './payments/outbound-retries';
import { cardKeysFromEnvironment } from './cards/card-numbers';
import { openDatabase } from './store/database';
import { operatorsFromEnvironment } from './configuration/operators';
import { startPeerConfiguration } from './configuration/peer-configuration';
import { startPrescaleKeeper } from './configuration/prescale';

/** How long a stop may take (npm start's runner SIGKILLs a service after 15 s). */
const SHUTDOWN_DEADLINE_MS = 10_000;

function urlFromEnvironment(name: string, fallback: string): string {
  const raw = process.env[name] ?? fallback;
  try {
    return new URL(raw).toString();
  } catch {
    throw new Error(`${name}=${raw}: expected an absolute URL, e.g. ${fallback}`);
  }
}

function positiveFromEnvironment(name: string, fallback: number, unit = 'milliseconds'): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name}=${raw}: expected a positive whole number of ${unit}`);
  return value;
}

async function start(): Promise<void> {
  const url = process.env.STANDIN_DATABASE_URL;
  if (!url) throw new Error('STANDIN_DATABASE_URL is not set (see `npm run infra -- env`)');
  const logger = pino({ name: 'standin', level: process.env.LOG_LEVEL ?? 'info', redact: ['pan', '*.pan', 'req.headers.authorization'] });
  const database = openDatabase(url);
  // Card authorisations have a pool of their own: its size is what stand-in's database can run at
  // once (measured with `npm run bench -- standin-auth`), and every statement on it has the budget.
  const cardBudgetMs = positiveFromEnvironment('STANDIN_CARD_BUDGET_MS', DEFAULT_CARD_BUDGET_MS);
  const cardPool = openDatabase(url, positiveFromEnvironment('STANDIN_CARD_POOL_SIZE', DEFAULT_CARD_POOL_SIZE, 'connections'), {
    statementTimeoutMs: cardStatementTimeoutMs(cardBudgetMs),
  });
  const now = () => new Date();
  const limits = {
    perPaymentMinor: positiveFromEnvironment('STANDIN_LIMIT_PER_PAYMENT_MINOR', DEFAULT_RISK_LIMITS.perPaymentMinor, 'pence'),
    perAccountPerDayMinor: positiveFromEnvironment('STANDIN_LIMIT_PER_ACCOUNT_DAY_MINOR', DEFAULT_RISK_LIMITS.perAccountPerDayMinor, 'pence'),
  };
  const keys = cardKeysFromEnvironment(process.env);
  const prescale = startPrescaleKeeper({ database, logger });
  const peer = startPeerConfiguration({
    database,
    logger,
    primaryUrl: process.env.PRIMARY_URL ?? 'http://127.0.0.1:8100',
    primaryToken: process.env.PRIMARY_INTERNAL_TOKEN ?? 'local-internal-token',
    intervalMs: positiveFromEnvironment('CONFIGURATION_PEER_SYNC_MS', 2_000),
    onCurrent: prescale.check,
  });
  const schemeUrl = urlFromEnvironment('FASTER_PAYMENTS_SCHEME_URL', DEFAULT_FASTER_PAYMENTS_SCHEME_URL);
  const scheme = httpFasterPaymentsScheme({ logger }, { url: schemeUrl, timeoutMs: positiveFromEnvironment('STANDIN_FPS_TIMEOUT_MS', 2_000) });
  const transfers = createOutboundTransfers({ database, scheme, logger, now, retryAfterMs: positiveFromEnvironment('STANDIN_FPS_RETRY_AFTER_MS', 5_000) });
  const registry = new Registry();
  const server = createStandinServer({
    database,
    keys,
    operators: operatorsFromEnvironment(process.env),
    onConfiguration: prescale.check,
    internalToken: process.env.STANDIN_INTERNAL_TOKEN ?? 'local-standin-internal-token',
    logger,
    now,
    cards: createCardDesk({
      database,
      keys,
      limits,
      now,
      authorisations: { pool: cardPool, budgetMs: cardBudgetMs, ...cardAuthorisationObservers(registry, logger, cardBudgetMs) },
    }),
    registry,
    fasterPayments: createFasterPaymentsDesk({ database, now }),
    serveApiDocs: process.env.NODE_ENV !== 'production',
  });
  // The one app route that needs the scheme; createStandinServer is not given it.
  transferRoutes(server, { database, transfers });
  const retries = startOutboundRetries({ transfers, logger, intervalMs: positiveFromEnvironment('STANDIN_FPS_RETRY_MS', 5_000) });
  const pubsub = new PubSub({
    projectId: process.env.PUBSUB_PROJECT_ID ?? 'bank-local',
    ...(process.env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: process.env.PUBSUB_EMULATOR_HOST, emulatorMode: true } : {}),
  });
  const relay = startAdviceRelay({ database, pubsub, logger });
  const appliedSweep = startAppliedAdviceSweep({ database, logger });
  const port = Number(process.env.PORT ?? 8200);
  const host = listenHostFromEnvironment(process.env);
  await server.listen({ port, host });
  // Origin and path only: a URL may carry credentials.
  logger.info({ host, port, limits, fasterPaymentsScheme: `${new URL(schemeUrl).origin}${new URL(schemeUrl).pathname}` }, 'stand-in listening');
  const stop = async () => {
    await server.close();
    await retries.stop();
    scheme.breaker.shutdown();
    await peer.stop();
    await prescale.stop();
    await relay.stop();
    await appliedSweep.stop();
    await pubsub.close();
    await cardPool.end();
    await database.end();
    process.exit(0);
  };
  // Every step of a stop has its own limit, but a client retrying an absent server (Kafka,
  // Pub/Sub, PostgreSQL) may hold one up: past this deadline the process exits anyway.
  const stopWithDeadline = () => {
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    void stop().catch(() => process.exit(1));
  };
  process.once('SIGTERM', stopWithDeadline);
  process.once('SIGINT', stopWithDeadline);
}

start().catch((failure: unknown) => {
  console.error(`stand-in failed to start: ${(failure as Error).message}`);
  process.exit(1);
});
