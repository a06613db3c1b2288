import { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import { Registry } from 'prom-client';
import { startAdviceRelay } from './advices/advice-relay';
import { pubsubClientOptions } from './advices/pubsub-client';
import { startAppliedAdviceSweep } from './advices/advices-in-flight';
import { startIncidentTracker } from './incidents/incident-tracker';
import { createStandinServer } from './app/server';
import { transferRoutes } from './app/app-routes';
import { cardStatementTimeoutMs } from './payments/card-authorisation';
import { cardAuthorisationObservers } from './payments/card-authorisation-metrics';
import { createCardDesk } from './payments/card-desk';
import { configurationRules } from './payments/standin-rules';
import { createFasterPaymentsDesk } from './payments/faster-payments-desk';
import { httpFasterPaymentsScheme } from './payments/faster-payments-scheme';
import { createOutboundTransfers } from './payments/outbound-transfers';
import { startOutboundRetries } from './payments/outbound-retries';
import { openDatabase } from './store/database';
import { describeEnvironment, listenHostFromEnvironment, type ConfigurationDocument } from '@bank/shared-contracts';
import { readStandinEnvironment } from './config';
import { startPeerConfiguration } from './configuration/peer-configuration';
import { startPrescaleKeeper } from './configuration/prescale';
import { startAutopilot } from './autopilot/autopilot-loop';
import { createSampler } from './autopilot/autopilot-sampler';

/** How long a stop may take (npm start's runner SIGKILLs a service after 15 s). */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function start(): Promise<void> {
  const environment = readStandinEnvironment();
  const config = environment.values;
  const logger = pino({ name: 'standin', level: config.logLevel, redact: ['pan', '*.pan', 'req.headers.authorization'] });
  const startLine = describeEnvironment(environment);
  logger[startLine.level](startLine.fields, startLine.message);
  const database = openDatabase(config.databaseUrl);
  // Card authorisations have a pool of their own, and every statement on it has the budget.
  const cardBudgetMs = config.cardBudgetMs;
  const cardPool = openDatabase(config.databaseUrl, config.cardPoolSize, {
    statementTimeoutMs: cardStatementTimeoutMs(cardBudgetMs),
  });
  const now = () => new Date();
  const keys = config.keys;
  const prescale = startPrescaleKeeper({ database, logger });
  // The card rules are the configuration's: read before the first authorisation, then every second
  // (a change made on another replica, or adopted from primary), and at once for one made here.
  const rules = configurationRules({ database, refreshMs: 1_000, logger });
  await rules.start();
  const onCurrent = (document: ConfigurationDocument) => {
    prescale.check();
    rules.adopt(document);
  };
  const peer = startPeerConfiguration({
    database,
    logger,
    primaryUrl: config.primary.url,
    standinCredential: config.credentials.own ?? '',
    intervalMs: config.configurationPeerSyncMs,
    onCurrent,
  });
  const schemeUrl = config.fasterPayments.schemeUrl;
  const scheme = httpFasterPaymentsScheme({ logger }, { url: schemeUrl, timeoutMs: config.fasterPayments.timeoutMs });
  const transfers = createOutboundTransfers({ database, scheme, logger, now, retryAfterMs: config.fasterPayments.retryAfterMs });
  const registry = new Registry();
  // Samples every replica; acts only as its settings (off until an operator says otherwise) allow.
  const sampler = createSampler({ database, primaryUrl: config.primary.url, gatewayUrl: config.gateway.url, credential: config.credentials.own ?? '' });
  const autopilot = startAutopilot({ database, logger, sample: sampler.sample, now, intervalMs: config.autopilotSampleMs, registry });
  const server = createStandinServer({
    database,
    keys,
    operators: config.operators,
    onConfiguration: onCurrent,
    services: config.credentials.accepted,
    logger,
    now,
    cards: createCardDesk({
      database,
      keys,
      rules,
      now,
      authorisations: { pool: cardPool, budgetMs: cardBudgetMs, ...cardAuthorisationObservers(registry, logger, cardBudgetMs) },
    }),
    registry,
    autopilot,
    fasterPayments: createFasterPaymentsDesk({ database, now }),
    serveApiDocs: config.serveApiDocs,
    rateLimits: config.rateLimits,
    appOrigins: config.appOrigins,
  });
  // The one app route that needs the scheme; createStandinServer is not given it.
  transferRoutes(server, { database, transfers, now });
  const retries = startOutboundRetries({ transfers, logger, intervalMs: config.fasterPayments.retryMs });
  const pubsub = new PubSub(pubsubClientOptions(config.pubsub));
  const relay = startAdviceRelay({ database, pubsub, logger });
  const appliedSweep = startAppliedAdviceSweep({ database, logger });
  const incidents = startIncidentTracker({ database, logger, now });
  const port = config.port;
  const host = listenHostFromEnvironment(process.env);
  await server.listen({ port, host });
  // Origin and path only: a URL may carry credentials.
  logger.info({ host, port, fasterPaymentsScheme: `${new URL(schemeUrl).origin}${new URL(schemeUrl).pathname}` }, 'stand-in listening');
  const stop = async () => {
    await server.close();
    await retries.stop();
    scheme.breaker.shutdown();
    await peer.stop();
    await prescale.stop();
    await relay.stop();
    await appliedSweep.stop();
    await incidents.stop();
    rules.stop();
    await autopilot.stop();
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
