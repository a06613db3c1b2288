import { PubSub } from '@google-cloud/pubsub';
import pino from 'pino';
import { startAdviceRelay } from './advices/advice-relay';
import { createStandinServer } from './app/server';
import { createCardDesk } from './payments/card-desk';
import { createFasterPaymentsDesk } from './payments/faster-payments-desk';
import { DEFAULT_RISK_LIMITS } from './payments/authorisation-rules';
import { cardKeysFromEnvironment } from './cards/card-numbers';
import { openDatabase } from './store/database';

function limitFromEnvironment(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name}=${raw}: expected a positive whole number of pence`);
  return value;
}

async function start(): Promise<void> {
  const url = process.env.STANDIN_DATABASE_URL;
  if (!url) throw new Error('STANDIN_DATABASE_URL is not set (see `npm run infra -- env`)');
  const logger = pino({ name: 'standin', level: process.env.LOG_LEVEL ?? 'info', redact: ['pan', '*.pan', 'req.headers.authorization'] });
  const database = openDatabase(url);
  const now = () => new Date();
  const limits = {
    perPaymentMinor: limitFromEnvironment('STANDIN_LIMIT_PER_PAYMENT_MINOR', DEFAULT_RISK_LIMITS.perPaymentMinor),
    perAccountPerDayMinor: limitFromEnvironment('STANDIN_LIMIT_PER_ACCOUNT_DAY_MINOR', DEFAULT_RISK_LIMITS.perAccountPerDayMinor),
  };
  const keys = cardKeysFromEnvironment(process.env);
  const server = createStandinServer({
    database,
    keys,
    internalToken: process.env.STANDIN_INTERNAL_TOKEN ?? 'local-standin-internal-token',
    logger,
    now,
    cards: createCardDesk({ database, keys, limits, now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
  });
  const pubsub = new PubSub({
    projectId: process.env.PUBSUB_PROJECT_ID ?? 'bank-local',
    ...(process.env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: process.env.PUBSUB_EMULATOR_HOST, emulatorMode: true } : {}),
  });
  const relay = startAdviceRelay({ database, pubsub, logger });
  const port = Number(process.env.PORT ?? 8200);
  await server.listen({ port, host: '127.0.0.1' });
  logger.info({ port, limits }, 'stand-in listening');
  const stop = async () => {
    await server.close();
    await relay.stop();
    await pubsub.close();
    await database.end();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

start().catch((failure: unknown) => {
  console.error(`stand-in failed to start: ${(failure as Error).message}`);
  process.exit(1);
});
