import { PubSub } from '@google-cloud/pubsub';
import Fastify from 'fastify';
import pino from 'pino';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { startAdviceConsumer } from './advice-consumer';
import { createPrimaryClient } from './primary-client';
import { reconcile, redriveMissing } from './reconciliation';
import { fetchPrimaryApplied, fetchStandinLog } from './reconciliation-sources';
import { startRedriveLoop } from './redrive-loop';

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
  const consumer = startAdviceConsumer({ pubsub, primary, logger, counters: { outcomes } });
  const redrive = startRedriveLoop({
    standin: standinApi,
    primaryApi,
    primary,
    logger,
    redriven: new Counter({ name: 'advice_consumer_redriven_total', help: 'Advices applied from stand-in\'s log because Pub/Sub did not deliver them', registers: [registry] }),
    intervalMs: Number(process.env.ADVICE_REDRIVE_INTERVAL_MS ?? 30_000),
    minimumAgeMs: Number(process.env.ADVICE_REDRIVE_AFTER_MS ?? 120_000),
  });

  const server = Fastify();
  server.get('/health', async () => ({ status: primary.breaker.opened ? 'primary unreachable; advices wait in Pub/Sub' : 'ok' }));
  // The reconciliation report (and re-drive) for operators: the same as `npm run reconcile`.
  // `?accounts=a,b` narrows the report to those accounts (an incident's customers).
  const scope = (query: unknown) => {
    const listed = (query as { accounts?: string }).accounts;
    const accounts = listed ? new Set(listed.split(',')) : undefined;
    return <T extends { accountId: string }>(rows: T[]) => (accounts ? rows.filter((row) => accounts.has(row.accountId)) : rows);
  };
  server.get('/internal/reconciliation', async (request) => {
    const only = scope(request.query);
    return reconcile(only(await fetchStandinLog(standinApi)), only(await fetchPrimaryApplied(primaryApi)), new Date());
  });
  server.post('/internal/reconciliation/redrive', async (request) => {
    const only = scope(request.query);
    const log = only(await fetchStandinLog(standinApi));
    const redrive = await redriveMissing(reconcile(log, only(await fetchPrimaryApplied(primaryApi)), new Date()), log, primary);
    return { redrive, report: reconcile(log, only(await fetchPrimaryApplied(primaryApi)), new Date()) };
  });
  server.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
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
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`advice consumer failed to start: ${(error as Error).message}`);
  process.exit(1);
});
