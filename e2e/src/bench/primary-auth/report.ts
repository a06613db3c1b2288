import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { PrimaryAuthResult } from './benchmark';
import { figure, type HeadlineFigure } from '../shared/headline';
import { cpuLine, fixed, phaseRow, phaseTableHeader, verdict } from '../shared/report-format';

// The short human-readable summary; the JSON file holds everything.

export function printPrimaryAuthReport(result: PrimaryAuthResult, file: string): void {
  const { parameters, phases, pgbench, targets, figures } = result;
  const lines = [
    '',
    `primary-auth  ${result.timestamp}  (${result.machine.cpus} CPU cores, ${result.machine.cpuModel}, Node ${result.machine.node}, load average ${fixed(result.machine.loadAverage1mAtStart, 2)} at start)`,
    `note: ${result.note}`,
    '',
    phaseTableHeader(),
    phaseRow(`saturation (closed, ${parameters.concurrency} in flight)`, phases.saturation),
    phaseRow(`half rate (open, ${fixed(figures.halfRateTargetPerSecond)}/s)`, phases.halfRate),
    phaseRow(`low rate (open, ${fixed(parameters.lowRatePerSecond)}/s: the floor)`, phases.lowRate),
    `${`pgbench -N (${pgbench.clients} clients, ${pgbench.durationSeconds} s)`.padEnd(34)} ${fixed(pgbench.tps).padStart(9)} TPS`,
    `${`card_authorise alone via pgbench`.padEnd(34)} ${fixed(figures.functionAloneTps).padStart(9)} TPS  (${fixed(figures.functionAloneToPgbenchRatio, 3)} x pgbench -N: the database's own ceiling for this work, no HTTP or Node)`,
    '',
    'CPU (cores busy):',
    cpuLine('saturation', phases.saturation.cpu),
    cpuLine('half rate', phases.halfRate.cpu),
    cpuLine('pgbench', pgbench.cpu),
    cpuLine('function', result.functionAlone.cpu),
    `CPU per authorisation at saturation: primary (Node) ${fixed(figures.cpuMsPerAuthorisation.primaryNode, 3)} ms, PostgreSQL ${fixed(figures.cpuMsPerAuthorisation.postgres, 3)} ms`,
    `round trips to PostgreSQL per authorisation (counted by primary, saturation): ${fixed(figures.roundTripsPerAuthorisation.cardPath, 2)} on the card path, ${fixed(figures.roundTripsPerAuthorisation.allOfPrimary, 2)} with everything else primary sent meanwhile (outbox relay, configuration refresh)`,
    result.fsyncFloor
      ? `disk floor (pg_test_fsync, one 8 kB write): fdatasync ${fixed(result.fsyncFloor.fdatasyncOpsPerSecond ?? Number.NaN)} ops/s, open_datasync ${fixed(result.fsyncFloor.openDatasyncOpsPerSecond ?? Number.NaN)} ops/s (one commit at a time; concurrent commits share a sync)`
      : 'disk floor: pg_test_fsync not installed (/usr/lib/postgresql/15/bin/pg_test_fsync)',
    '',
    `throughput >= ${targets.throughputAtLeastRatioOfPgbench.required} x pgbench TPS: ${fixed(figures.saturationThroughputPerSecond)} / ${fixed(pgbench.tps)} = ${fixed(figures.throughputToPgbenchRatio, 3)}  ${verdict(targets.throughputAtLeastRatioOfPgbench.met)}`,
    `p99 at half load <= ${targets.halfRateP99AtMostMs.required} ms: ${fixed(figures.halfRateP99Ms, 2)} ms${figures.halfRateErrors > 0 ? ` (${figures.halfRateErrors} errors)` : ''}  ${verdict(targets.halfRateP99AtMostMs.met)}`,
    `p50 at half load < ${targets.halfRateP50BelowMs.required} ms: ${fixed(figures.halfRateP50Ms, 2)} ms  ${verdict(targets.halfRateP50BelowMs.met)}`,
    ...(result.disturbedInfrastructure.length > 0
      ? [`WARNING: infrastructure disturbed during the run (figures suspect): ${result.disturbedInfrastructure.join(', ')}`]
      : []),
    `results: ${path.relative(REPOSITORY_ROOT, file)}`,
  ];
  console.log(lines.join('\n'));
}

export function primaryAuthHeadline(result: PrimaryAuthResult): HeadlineFigure[] {
  const { figures, targets } = result;
  return [
    figure('saturation throughput', figures.saturationThroughputPerSecond, 'auth/s'),
    figure('saturation p99', figures.saturationP99Ms, 'ms'),
    figure('pgbench -N (reference)', figures.pgbenchTps, 'TPS'),
    figure('card_authorise alone / pgbench TPS', figures.functionAloneToPgbenchRatio, 'ratio'),
    figure('throughput / pgbench TPS', figures.throughputToPgbenchRatio, 'ratio', {
      description: `>= ${targets.throughputAtLeastRatioOfPgbench.required}`,
      met: targets.throughputAtLeastRatioOfPgbench.met,
    }),
    figure('round trips per authorisation', figures.roundTripsPerAuthorisation.cardPath, 'round trips'),
    figure(`p50 at half load (${figures.halfRateTargetPerSecond}/s)`, figures.halfRateP50Ms, 'ms', {
      description: `< ${targets.halfRateP50BelowMs.required} ms, no errors`,
      met: targets.halfRateP50BelowMs.met,
    }),
    figure(`p99 at half load (${figures.halfRateTargetPerSecond}/s)`, figures.halfRateP99Ms, 'ms', {
      description: `<= ${targets.halfRateP99AtMostMs.required} ms, no errors`,
      met: targets.halfRateP99AtMostMs.met,
    }),
  ];
}
