import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { AdviceDrainResult, AdviceDrainRun } from './benchmark';
import { figure, type HeadlineFigure } from '../shared/headline';
import { cpuLine, fixed } from '../shared/report-format';

// The short human-readable summary; the JSON file holds everything.

const seconds = (ms: number | null) => (ms === null ? '-' : `${fixed(ms / 1000, 2)} s`);

export function printAdviceDrainReport(result: AdviceDrainResult, file: string): void {
  const lines = [
    '',
    `advice-drain  ${result.timestamp}  (${result.machine.cpus} CPU cores, ${result.machine.cpuModel}, Node ${result.machine.node})`,
    `note: ${result.note}`,
    ...result.runs.flatMap(runLines),
    '',
    'drain time by backlog size (the cost should grow linearly):',
    ...result.runs.map(
      (run, index) =>
        `  ${String(run.figures.advices).padStart(7)} advices  ${run.figures.drainSeconds === null ? 'NOT drained' : `${fixed(run.figures.drainSeconds, 1)} s`}  ${fixed(run.figures.advicesPerSecond ?? Number.NaN)}/s  ${fixed(result.secondsPerThousand[index] ?? Number.NaN, 2)} s per 1,000  (load average ${fixed(run.machine.loadAverage1mAtStart, 2)} at its start)`,
    ),
    `results: ${path.relative(REPOSITORY_ROOT, file)}`,
  ];
  console.log(lines.join('\n'));
}

function runLines(run: AdviceDrainRun): string[] {
  const { backlog, drain, figures } = run;
  const purchases = backlog.purchases;
  const reconciliation = drain.reconciliation;
  const outcomes =
    Object.entries(drain.consumerOutcomes)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ') || 'none';
  return [
    '',
    `backlog of ${figures.advices} advices over ${run.parameters.accounts} accounts  ${run.timestamp}  (load average ${fixed(run.machine.loadAverage1mAtStart, 2)} at its start)`,
    `backlog: ${purchases ? `${purchases.approved} approvals by stand-in (${fixed(purchases.offeredRatePerSecond ?? Number.NaN, 0)}/s for ${fixed(purchases.elapsedMs / 1000)} s, ${purchases.errors} errors)` : 'no purchases (the mixed part only)'} with no advice consumer running; ${figures.advices} advices, relayed to Pub/Sub ${backlog.relayed ? `${seconds(backlog.relayedToPubSubAfterMs)} after the load` : 'NOT all (timeout)'}`,
    '',
    `${'from starting the advice consumer'.padEnd(44)} time`,
    `${'  consumer healthy'.padEnd(44)} ${seconds(drain.consumerStartMs)}`,
    `${'  first advice applied in primary'.padEnd(44)} ${seconds(drain.firstAppliedAfterMs)}`,
    `${'  every advice applied (last applied_at)'.padEnd(44)} ${seconds(drain.lastAppliedAfterMs)}${drain.drained ? '' : '  NOT ALL within the timeout'}`,
    `${'  reconciliation clean'.padEnd(44)} ${reconciliation?.clean ? seconds(reconciliation.afterMs) : `NOT clean (${reconciliation?.missing ?? '?'} missing, ${reconciliation?.duplicated ?? '?'} duplicated, ${reconciliation?.diverging ?? '?'} diverging)`}`,
    '',
    `drained: ${fixed(figures.advicesPerSecond ?? Number.NaN)} advices/s from the consumer's start, ${fixed(figures.advicesPerSecondWhileApplying ?? Number.NaN)}/s from the first applied to the last`,
    `out-of-order refusals: ${figures.outOfOrderRefusals}; duplicates applied (reconciliation): ${figures.duplicatesApplied ?? 'unknown'}; duplicate deliveries (acknowledged, not applied): ${figures.duplicateDeliveries}`,
    `round trips to PostgreSQL per advice (everything primary sent during the drain): ${fixed(figures.roundTripsPerAdvice ?? Number.NaN, 2)}`,
    `per type: ${Object.entries(run.byType)
      .map(([type, { advices, perSecond }]) => `${type} ${advices} (${fixed(perSecond ?? Number.NaN, 0)}/s)`)
      .join(', ')}`,
    `mixed part of the backlog: ${run.mixed.calls} calls to stand-in in ${fixed(run.mixed.elapsedMs / 1000)} s; not as expected: ${JSON.stringify(run.mixed.failures)}`,
    `consumer outcomes: ${outcomes}; re-driven from stand-in's log (not delivered by Pub/Sub): ${drain.redrivenFromStandinLog ?? 'unknown'}`,
    'CPU (cores busy) during the drain:',
    cpuLine('drain', drain.cpu),
    ...cpuPerAdviceLines(run),
    ...(run.disturbedInfrastructure.length > 0
      ? [`WARNING: infrastructure disturbed during the run (figures suspect): ${run.disturbedInfrastructure.join(', ')}`]
      : []),
  ];
}

/** What primary and its database do for an advice; the rest is the transport and the sync back to stand-in. */
const PRIMARY_SIDE = new Set(['primary', 'postgres (primary)', 'runner', 'everything else']);

/**
 * CPU per advice, from the cores each process kept busy over the drain: what bounds the rate on
 * this machine. Everything that is not primary's apply (the Pub/Sub emulator delivering and taking
 * acknowledgements, the consumer, and primary's resulting events syncing back into stand-in through
 * Kafka) shares the same two cores here; in production each runs on machines of its own.
 */
function cpuPerAdviceLines(run: AdviceDrainRun): string[] {
  const { drain } = run;
  const drained = drain.appliedAtEnd - drain.appliedAtStart;
  if (drain.allAppliedSeenAfterMs === null || drained <= 0) return [];
  const msPerAdvice = (cores: number) => (cores * drain.allAppliedSeenAfterMs!) / drained;
  const entries = Object.entries(drain.cpu.coresByProcess).map(([name, cores]) => [name, msPerAdvice(cores)] as const);
  const outsidePrimary = entries.filter(([name]) => !PRIMARY_SIDE.has(name)).reduce((sum, [, ms]) => sum + ms, 0);
  const total = entries.reduce((sum, [, ms]) => sum + ms, 0);
  return [
    `CPU per advice (ms): ${entries.map(([name, ms]) => `${name} ${fixed(ms, 2)}`).join(', ')}; ${fixed(total, 2)} in all`,
    `  of which transport and sync back (not primary's apply): ${fixed(outsidePrimary, 2)} ms, which alone caps the drain on ${drain.cpu.machineCores} cores at ${fixed((drain.cpu.machineCores * 1000) / outsidePrimary, 0)}/s`,
  ];
}

/** The issue's target: at least 2,000 advices/s for a backlog of at least 20,000 advices over at least 1,000 accounts. */
const TARGET = { advicesPerSecond: 2_000, advices: 20_000, accounts: 1_000 };

export function adviceDrainHeadline(result: AdviceDrainResult): HeadlineFigure[] {
  return result.runs.flatMap(({ figures, parameters }) => {
    const size = `${figures.advices} advices`;
    // Judged on the backlog asked for: stand-in declines a few of its purchases (its own limits), so one of 20,000 holds a few dozen fewer.
    const judged = parameters.advices >= TARGET.advices && parameters.accounts >= TARGET.accounts;
    return [
      figure(`all applied in primary after (${size})`, figures.drainSeconds, 's'),
      figure(
        `drain rate from consumer start (${size})`,
        figures.advicesPerSecond,
        'advices/s',
        judged
          ? { description: `>= ${TARGET.advicesPerSecond}/s`, met: figures.advicesPerSecond !== null && figures.advicesPerSecond >= TARGET.advicesPerSecond }
          : undefined,
      ),
      figure(`round trips per advice (${size})`, figures.roundTripsPerAdvice, 'round trips'),
      figure(`out-of-order refusals / duplicates applied (${size})`, `${figures.outOfOrderRefusals} / ${figures.duplicatesApplied ?? '?'}`, 'advices'),
      figure(`reconciliation clean after (${size})`, figures.reconciliationCleanAfterSeconds, 's'),
      // Deliveries primary already had: the drain's overhead.
      figure(`duplicate deliveries (${size})`, figures.duplicateDeliveries, 'messages'),
    ];
  });
}
