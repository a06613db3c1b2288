// The syncer as a process: primary.events → stand-in's synced tables, /health and /metrics on
// HOST (default 127.0.0.1) and SYNCER_PORT. Environment: STANDIN_DATABASE_URL, KAFKA_BROKERS, SYNCER_PORT (default 8300),
// SYNC_LAG_APPETITE_MS (default 5000), STANDIN_PAN_PRIVATE_KEY_B(_FILE), STANDIN_PAN_SEAL_KEY and
// STANDIN_PAN_LOOKUP_KEY (required outside BANK_MODE=local), LOG_LEVEL,
// SYNCER_GROUP_ID (default standin-syncer), SYNCER_START_FROM (beginning | latest, for a new group).
import { describeEnvironment, listenHostFromEnvironment } from '@bank/shared-contracts';
import { openDatabase, upgradeSchema } from '@bank/standin';
import { readSyncerEnvironment } from './config';
import { kafkaConnection } from './kafka-client';
import { createLogger } from './logger';
import { startSyncer } from './syncer';

/** A graceful stop finishes the batch in hand; past this, the process exits anyway (uncommitted work is redelivered). */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const environment = readSyncerEnvironment(process.env);
  const config = environment.values;
  const logger = createLogger({ level: config.logLevel });
  const startLine = describeEnvironment(environment);
  logger[startLine.level](startLine.fields, startLine.message);
  // Until it runs, a stop has nothing to finish: the start-up may be retrying an absent broker or
  // database for a long while, and a SIGTERM then must end the process at once, not after it.
  const started: { shutdown?: (signal: string) => Promise<void> } = {};
  const onSignal = (signal: string) => {
    if (started.shutdown === undefined) {
      logger.info({ signal }, 'stopped during start-up');
      process.exit(0);
    }
    void started.shutdown(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const keys = config.keys;
  const database = openDatabase(config.databaseUrl, 10);
  // Idempotent and serialised by stand-in's own lock: the syncer may start before stand-in.
  await upgradeSchema(database);
  const kafka = kafkaConnection({ brokers: config.kafkaBrokers, clientId: 'standin-syncer', security: config.kafkaSecurity });
  const syncer = await startSyncer(
    { database, kafka, keys, logger },
    {
      groupId: config.groupId,
      topicPrefix: config.topicPrefix,
      fromBeginning: config.startFrom === 'beginning',
      lagAppetiteMs: config.lagAppetiteMs,
      port: config.port,
      host: listenHostFromEnvironment(process.env),
    },
  );
  logger.info({ url: syncer.url, groupId: config.groupId, lagAppetiteMs: config.lagAppetiteMs }, 'syncer listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing the batch in hand');
    setTimeout(() => {
      logger.error('graceful stop took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    try {
      await syncer.stop();
      await database.end();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stopping failed');
      process.exit(1);
    }
  };
  started.shutdown = shutdown;
}

main().catch((error: unknown) => {
  console.error(`syncer failed to start: ${(error as Error).message}`);
  process.exit(1);
});
