// The replay command: rebuilds stand-in's synced state from primary.events' history.
//
//   node syncer/dist/replay.js --from-beginning
//   node syncer/dist/replay.js --from-timestamp 2026-11-21T09:00:00Z
//
// Environment: STANDIN_DATABASE_URL, KAFKA_BROKERS (and KAFKA_TLS, KAFKA_SASL_* as the syncer),
// STANDIN_PAN_PRIVATE_KEY_B(_FILE) (and the seal and lookup keys stand-in uses), LOG_LEVEL. A full rebuild: point STANDIN_DATABASE_URL at
// an empty database and replay from the beginning. Safe beside the running syncer.
import pino from 'pino';
import { isLocalMode, KAFKA_SECURITY_VARIABLES, kafkaSecurity, kafkaTopicPrefixFromEnvironment, readServiceEnvironment } from '@bank/shared-contracts';
import { cardKeysFromEnvironment, openDatabase, upgradeSchema } from '@bank/standin';
import { kafkaConnection } from './kafka-client';
import { REDACTED_PATHS } from './logger';
import { replayHistory, type ReplayReport, type ReplayStart } from './replay-history';

export const REPLAY_USAGE = 'usage: replay (--from-beginning | --from-timestamp <ISO 8601, e.g. 2026-11-21T09:00:00Z>)';

/** The replay's starting point from the command line; throws with the usage on anything else. */
export function parseReplayArguments(argv: readonly string[]): ReplayStart {
  const [flag, value, ...rest] = argv;
  if (flag === '--from-beginning' && value === undefined) return { fromBeginning: true };
  if (flag === '--from-timestamp' && value !== undefined && rest.length === 0) {
    const timestamp = new Date(value);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(timestamp.getTime()))
      throw new Error(`--from-timestamp ${value} is not an ISO 8601 timestamp\n${REPLAY_USAGE}`);
    return { fromTimestamp: timestamp };
  }
  throw new Error(REPLAY_USAGE);
}

export function describeReplay(report: ReplayReport): string {
  return `replayed primary.events: read ${report.read}, applied ${report.applied}, already present ${report.alreadyPresent}, skipped ${report.skipped}, gaps ${report.gaps} (${(report.durationMs / 1000).toFixed(1)} s)`;
}

async function main(): Promise<void> {
  const start = parseReplayArguments(process.argv.slice(2));
  const databaseUrl = process.env.STANDIN_DATABASE_URL;
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter((broker) => broker.trim() !== '');
  if (!databaseUrl || brokers.length === 0) throw new Error('STANDIN_DATABASE_URL and KAFKA_BROKERS must be set');
  // Logs on stderr: stdout carries the report.
  const logger = pino(
    { name: 'syncer-replay', level: process.env.LOG_LEVEL || 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
  const keys = cardKeysFromEnvironment(process.env);
  const database = openDatabase(databaseUrl, 5);
  try {
    await upgradeSchema(database);
    const security = readServiceEnvironment({ service: 'syncer-replay', variables: KAFKA_SECURITY_VARIABLES, secrets: {} }, process.env).values;
    const kafka = kafkaConnection({ brokers, clientId: 'standin-syncer-replay', security: kafkaSecurity('syncer-replay', security, isLocalMode(process.env)) });
    const report = await replayHistory({ kafka, database, keys, logger }, { start, topicPrefix: kafkaTopicPrefixFromEnvironment(process.env) });
    console.log(describeReplay(report));
    console.log(JSON.stringify(report));
  } finally {
    await database.end();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`replay failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
