import { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { startAdviceConsumer } from './advice-consumer';
import { createPrimaryClient } from './primary-client';
import { redriveMissing } from './reconciliation';
import { fetchPrimaryApplied, fetchPrimaryQuarantined, fetchStandinLog } from './reconciliation-sources';
import { startRedriveLoop } from './redrive-loop';
import { buildAdviceConsumerServer } from './server';

/** How long a stop may take (npm start's runner SIGKILLs a service after 15 s). */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const logger = pino({ name: 'advice-consumer', level: process.env.LOG_LEVEL ?? 'info' });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'advice_consumer_' });
  const outcomes = new Counter({ name: 'advice_consumer_outcomes_total', help: 'Advices by outcome', labelNames: ['outcome'], registers: [registry] });
  const pubsub = new PubSub({
    projectId: process.env.PUBSUB_PROJECT_ID ?? 'bank-local',
    ...(process.env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: process.env.PUBSUB_EMULATOR_HOST, emulatorMode: true } : {}),
  });
  const primaryApi = { url: process.env.PRIMARY_URL ?? 'http://127.0.0.1:8100', token: process.env.PRIMARY_INTERNAL_TOKEN ?? 'local-internal-token' };
  const standinApi = { url: process.env.STANDIN_URL ?? 'http://127.0.0.1:8200', token: process.env.STANDIN_INTERNAL_TOKEN ?? 'local-standin-internal-token' };
  const primary = createPrimaryClient(primaryApi);
  const consumer = startAdviceConsumer({
    pubsub,
    primary,
    logger,
    counters: { outcomes },
    ...(process.env.ADVICE_BATCH_SIZE ? { batchSize: Number(process.env.ADVICE_BATCH_SIZE) } : {}),
    ...(process.env.ADVICE_BATCHES_IN_FLIGHT ? { maxBatchesInFlight: Number(process.env.ADVICE_BATCHES_IN_FLIGHT) } : {}),
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
    intervalMs: Number(process.env.ADVICE_REDRIVE_INTERVAL_MS ?? 30_000),
    minimumAgeMs: Number(process.env.ADVICE_REDRIVE_AFTER_MS ?? 120_000),
  });

  const server = buildAdviceConsumerServer({
    health: () => ({ status: primary.breaker.opened || primary.batchBreaker.opened ? 'primary unreachable; advices wait in Pub/Sub' : 'ok' }),
    metrics: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    standinLog: () => fetchStandinLog(standinApi),
    primaryApplied: () => fetchPrimaryApplied(primaryApi),
    primaryQuarantined: () => fetchPrimaryQuarantined(primaryApi),
    redrive: (report, log) => redriveMissing(report, log, primary),
    log: logger,
  });
  const port = Number(process.env.PORT ?? 8400);
  await server.listen({ port, host: '127.0.0.1' });
  logger.info({ port }, 'advice consumer running');

  const stop = async () => {
    redrive.stop();
    await consumer.stop();
    await server.close();
    await pubsub.close();
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
