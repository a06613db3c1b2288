import { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { startAdviceConsumer } from './advice-consumer';
import { createPrimaryClient } from './primary-client';
import { redriveMissing } from './reconciliation';
import { fetchPrimaryApplied, fetchPrimaryQuarantined, fetchStandinLog } from './reconciliation-sources';
import { startRedriveLoop } from './redrive-loop';
import { adviceConsumerReadiness } from './readiness';
import { buildAdviceConsumerServer } from './server';
import { readAdviceConsumerEnvironment } from './config';
import { pubsubClientOptions } from './pubsub-client';
import { describeEnvironment, listenHostFromEnvironment } from '@bank/shared-contracts';

/** How long a stop may take (npm start's runner SIGKILLs a service after 15 s). */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const environment = readAdviceConsumerEnvironment();
  const config = environment.values;
  const logger = pino({ name: 'advice-consumer', level: config.logLevel });
  const startLine = describeEnvironment(environment);
  logger[startLine.level](startLine.fields, startLine.message);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'advice_consumer_' });
  const outcomes = new Counter({ name: 'advice_consumer_outcomes_total', help: 'Advices by outcome', labelNames: ['outcome'], registers: [registry] });
  const newPubSub = () => new PubSub(pubsubClientOptions(config.pubsub));
  const primaryApi = config.primary;
  const standinApi = config.standin;
  const primary = createPrimaryClient(primaryApi);
  const firstPubSub = newPubSub();
  const consumer = startAdviceConsumer({
    pubsub: firstPubSub,
    primary,
    logger,
    counters: {
      outcomes,
      reopened: new Counter({
        name: 'advice_consumer_subscription_reopened_total',
        help: 'Times the advice subscription was opened again: closed_by_client (the Pub/Sub client gave it up) or silent (nothing delivered while advices were missing)',
        labelNames: ['why'],
        registers: [registry],
      }),
    },
    reopen: { newClient: newPubSub },
    ...config.batching,
  });
  const redrive = startRedriveLoop({
    standin: standinApi,
    primaryApi,
    primary,
    logger,
    redriven: new Counter({
      name: 'advice_consumer_redriven_total',
      help: "Advices applied from stand-in's log because Pub/Sub did not deliver them",
      registers: [registry],
    }),
    intervalMs: config.redriveIntervalMs,
    minimumAgeMs: config.redriveAfterMs,
    // Advices that old were missing from Pub/Sub's delivery: if the stream has been silent as long, it is dead.
    onMissing: () => consumer.reopenIfSilent(config.redriveAfterMs),
  });

  const server = buildAdviceConsumerServer({
    health: () => ({ status: primary.breaker.opened || primary.batchBreaker.opened ? 'primary unreachable; advices wait in Pub/Sub' : 'ok' }),
    ready: adviceConsumerReadiness({ pubsub: () => consumer.pubsub, primaryBreakerOpen: () => primary.breaker.opened || primary.batchBreaker.opened }),
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    standinLog: (accounts) => fetchStandinLog(standinApi, accounts),
    primaryApplied: (accounts) => fetchPrimaryApplied(primaryApi, accounts),
    primaryQuarantined: () => fetchPrimaryQuarantined(primaryApi),
    redrive: (report, log) => redriveMissing(report, log, primary),
    operatorOf: config.operatorOf,
    log: logger,
  });
  const port = config.port;
  const host = listenHostFromEnvironment(process.env);
  await server.listen({ port, host });
  logger.info({ host, port }, 'advice consumer running');

  const stop = async () => {
    redrive.stop();
    await consumer.stop();
    await server.close();
    await firstPubSub.close();
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

main().catch((error: unknown) => {
  console.error(`advice consumer failed to start: ${(error as Error).message}`);
  process.exit(1);
});
