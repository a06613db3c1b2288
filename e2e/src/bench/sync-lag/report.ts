import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import { figure, type HeadlineFigure } from '../shared/headline';
import { cpuLine, fixed, verdict } from '../shared/report-format';
import type { SyncLagResult } from './benchmark';

// The short human-readable summary; the JSON file holds everything.

const cell = (value: string | number, width: number) => String(value).padStart(width);

export function printSyncLagReport(result: SyncLagResult, file: string): void {
  const { parameters, figures, phases } = result;
  const lateHeader = `late>${parameters.lateAfterMs / 1000}s`;
  const lines = [
    '',
    `sync-lag  ${result.timestamp}  (${result.machine.cpus} CPU cores, ${result.machine.cpuModel}, Node ${result.machine.node}, load average ${fixed(result.machine.loadAverage1mAtStart, 2)} at start)`,
    `note: ${result.note}`,
    `stand-in's risk limits for this run: ${parameters.standinLimits.perPaymentMinor} pence per payment and per account per day (defaults 50,000 and 150,000)`,
    '',
    'load on primary (open loop, card authorisations)',
    `${'phase'.padEnd(14)} ${cell('offered/s', 10)} ${cell('achieved/s', 11)} ${cell('took s', 7)} ${cell('sent', 7)} ${cell('answered', 9)} ${cell('errors', 7)} ${cell(lateHeader, 9)} ${cell('p99 ms', 9)}`,
    ...figures.map((row) =>
      [
        row.label.padEnd(14),
        cell(fixed(row.offeredRatePerSecond), 10),
        cell(fixed(row.achievedRatePerSecond), 11),
        cell(fixed(row.loadSeconds), 7),
        cell(row.sent, 7),
        cell(row.answered, 9),
        cell(row.errors, 7),
        cell(row.lateAnswers, 9),
        cell(fixed(row.requestP99Ms, 1), 9),
      ].join(' '),
    ),
    '',
    "sync lag of the phase's events (stand-in synced_at - primary occurredAt)",
    `${'phase'.padEnd(14)} ${cell('events', 7)} ${cell('p50 ms', 9)} ${cell('p99 ms', 9)} ${cell('max ms', 9)} ${cell('missing', 8)} ${cell('caught up', 10)}   syncer histogram: events, <=0.5 s, p99 <=`,
    ...phases.map((phase) =>
      [
        phase.label.padEnd(14),
        cell(phase.lag.synced, 7),
        cell(fixed(phase.lag.lagMs.p50Ms, 1), 9),
        cell(fixed(phase.lag.lagMs.p99Ms, 1), 9),
        cell(fixed(phase.lag.lagMs.maxMs, 1), 9),
        cell(phase.lag.missing, 8),
        cell(phase.catchUp.caughtUp ? `${fixed(phase.catchUp.waitedMs / 1000)} s` : 'NO', 10),
        `   ${phase.syncerHistogram.events}, ${phase.syncerHistogram.withinTargetShare === null ? '-' : `${fixed(phase.syncerHistogram.withinTargetShare * 100)} %`}, ${phase.syncerHistogram.p99AtMostMs === null ? '-' : `${phase.syncerHistogram.p99AtMostMs} ms`}`,
      ].join(' '),
    ),
    '',
    'CPU (cores busy) during the load:',
    ...phases.map((phase) => cpuLine(phase.label, phase.load.cpu)),
    '',
    ...result.targets.lagP99AtMostMs.byPhase.map((target, index) => {
      const phase = phases[index];
      const missing = phase && phase.lag.missing > 0 ? ` (${phase.lag.missing} events not synced within ${parameters.catchUpTimeoutMs / 1000} s)` : '';
      return `lag p99 <= ${result.targets.lagP99AtMostMs.required} ms at ${fixed(phase?.load.offeredRatePerSecond ?? Number.NaN, 0)}/s offered: ${fixed(target.actual, 1)} ms${missing}  ${verdict(target.met)}`;
    }),
    ...(result.disturbedInfrastructure.length > 0
      ? [`WARNING: infrastructure disturbed during the run (figures suspect): ${result.disturbedInfrastructure.join(', ')}`]
      : []),
    `results: ${path.relative(REPOSITORY_ROOT, file)}`,
  ];
  console.log(lines.join('\n'));
}

export function syncLagHeadline(result: SyncLagResult): HeadlineFigure[] {
  return result.figures.flatMap((row) => [
    figure(`${row.label}: achieved of ${row.offeredRatePerSecond}/s offered`, row.achievedRatePerSecond, 'auth/s'),
    figure(`${row.label}: lag p50`, row.lagP50Ms, 'ms'),
    figure(`${row.label}: lag p99`, row.lagP99Ms, 'ms', {
      description: `<= ${result.targets.lagP99AtMostMs.required} ms, none missing`,
      met: row.lagP99AtMost500Ms,
    }),
  ]);
}
