import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { AdviceDrainResult } from './benchmark';
import { figure, type HeadlineFigure } from '../shared/headline';
import { cpuLine, fixed } from '../shared/report-format';

// The short human-readable summary; the JSON file holds everything.

const seconds = (ms: number | null) => (ms === null ? '-' : `${fixed(ms / 1000, 2)} s`);

export function printAdviceDrainReport(result: AdviceDrainResult, file: string): void {
  const { backlog, drain, figures } = result;
  const reconciliation = drain.reconciliation;
  const outcomes =
    Object.entries(drain.consumerOutcomes)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ') || 'none';
  const lines = [
    '',
    `advice-drain  ${result.timestamp}  (${result.machine.cpus} CPU cores, ${result.machine.cpuModel}, Node ${result.machine.node}, load average ${fixed(result.machine.loadAverage1mAtStart, 2)} at start)`,
    `note: ${result.note}`,
    `before it: ${result.staleAdvicesCleared.messagesHandled} stale messages other runs had left in the shared subscription cleared in ${fixed(result.staleAdvicesCleared.waitedMs / 1000)} s${result.staleAdvicesCleared.quiet ? '' : ' (NOT all: the figures below include handling the rest)'}`,
    `backlog: ${backlog.approved} approvals by stand-in (${fixed(backlog.offeredRatePerSecond ?? Number.NaN, 0)}/s for ${fixed(backlog.elapsedMs / 1000)} s, ${backlog.errors} errors) with no advice consumer running; ${figures.advices} advices, relayed to Pub/Sub ${backlog.relayed ? `${seconds(backlog.relayedToPubSubAfterMs)} after the load` : 'NOT all (timeout)'}`,
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
    `per type: ${Object.entries(result.byType)
      .map(([type, { advices, perSecond }]) => `${type} ${advices} (${fixed(perSecond ?? Number.NaN, 0)}/s)`)
      .join(', ')}`,
    `mixed part of the backlog: ${result.mixed.calls} calls to stand-in in ${fixed(result.mixed.elapsedMs / 1000)} s; not as expected: ${JSON.stringify(result.mixed.failures)}`,
    `consumer outcomes: ${outcomes}; re-driven from stand-in's log (not delivered by Pub/Sub): ${drain.redrivenFromStandinLog ?? 'unknown'}`,
    'CPU (cores busy) during the drain:',
    cpuLine('drain', drain.cpu),
    ...(result.otherAdviceConsumers > 0
      ? [`WARNING: ${result.otherAdviceConsumers} other advice consumer(s) shared the Pub/Sub subscription during the run`]
      : []),
    ...(result.disturbedInfrastructure.length > 0
      ? [`WARNING: infrastructure disturbed during the run (figures suspect): ${result.disturbedInfrastructure.join(', ')}`]
      : []),
    `results: ${path.relative(REPOSITORY_ROOT, file)}`,
  ];
  console.log(lines.join('\n'));
}

export function adviceDrainHeadline(result: AdviceDrainResult): HeadlineFigure[] {
  const { figures } = result;
  return [
    figure('backlog of advices', figures.advices, 'advices'),
    figure('all applied in primary after', figures.drainSeconds, 's'),
    figure('drain rate (from consumer start)', figures.advicesPerSecond, 'advices/s'),
    figure('round trips per advice', figures.roundTripsPerAdvice, 'round trips'),
    figure('out-of-order refusals / duplicates applied', `${figures.outOfOrderRefusals} / ${figures.duplicatesApplied ?? '?'}`, 'advices'),
    figure('reconciliation clean after', figures.reconciliationCleanAfterSeconds, 's'),
    figure("re-driven from stand-in's log", figures.redrivenFromStandinLog, 'advices'),
    // Deliveries primary already had: the drain's overhead.
    figure('duplicate deliveries', figures.duplicateDeliveries, 'messages'),
  ];
}
