import { randomBytes } from 'node:crypto';
import { deleteKafkaTopics, infraEndpoints } from '@bank/infra';
import { KAFKA_TOPIC_PREFIX_VARIABLE } from '@bank/shared-contracts';
import { BENCHMARKS } from './benchmarks';
import { printRunSummary, runBenchmark, writeRunSummary, type BenchmarkOutcome } from './shared/run-summary';

// `npm run bench -- [names...]`: runs the named benchmarks (all of them when none is named), one
// after another, then writes and prints the run's summary. A missed target is reported, not an
// error: the exit code says whether each ran.

async function main(argv: readonly string[]): Promise<number> {
  const known = Object.keys(BENCHMARKS);
  const names = argv.length > 0 ? argv : known;
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return 2;
  }
  // Kafka topics of the run's own, inherited by every service a benchmark starts (Kafka's
  // provisioning, which each benchmark's infra.up() runs, creates them): nothing a benchmark
  // publishes reaches `npm start`'s syncer. Deleted at the end.
  const ownPrefix = process.env[KAFKA_TOPIC_PREFIX_VARIABLE] === undefined;
  if (ownPrefix) process.env[KAFKA_TOPIC_PREFIX_VARIABLE] = `bench-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${randomBytes(3).toString('hex')}.`;
  const outcomes: BenchmarkOutcome[] = [];
  try {
    await runAll(names, outcomes);
  } finally {
    if (ownPrefix) await deleteKafkaTopics(infraEndpoints().kafkaBrokers, process.env[KAFKA_TOPIC_PREFIX_VARIABLE] ?? '').catch(() => undefined);
  }
  const { summary, file } = writeRunSummary(outcomes);
  printRunSummary(summary, file);
  return outcomes.every((outcome) => outcome.status === 'ran') ? 0 : 1;
}

async function runAll(names: readonly string[], outcomes: BenchmarkOutcome[]): Promise<void> {
  for (const name of names) {
    const run = BENCHMARKS[name];
    if (!run) continue; // every name was checked above
    const outcome = await runBenchmark(name, run);
    if (outcome.status === 'failed') console.error(`benchmark ${name} failed: ${outcome.error}`);
    outcomes.push(outcome);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error((error as Error).stack ?? String(error));
    process.exit(1);
  },
);
