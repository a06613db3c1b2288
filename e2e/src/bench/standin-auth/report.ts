import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import { figure, type HeadlineFigure } from '../shared/headline';
import { adviceDrainLine, cpuLine, fixed, phaseRow, phaseTableHeader, verdict } from '../shared/report-format';
import type { StandinAuthResult } from './benchmark';

// The short human-readable summary; the JSON file holds everything.

export function printStandinAuthReport(result: StandinAuthResult, file: string): void {
  const { parameters, phases, figures, targets } = result;
  const shape = `closed, ${parameters.concurrency} in flight, ${parameters.saturationMs / 1000} s`;
  const approvedShare = (phase: StandinAuthResult['phases']['primary']) => (phase.answered > 0 ? `${fixed((phase.approved / phase.answered) * 100)} %` : '-');
  const lines = [
    '',
    `standin-auth  ${result.timestamp}  (${result.machine.cpus} CPU cores, ${result.machine.cpuModel}, Node ${result.machine.node}, load average ${fixed(result.machine.loadAverage1mAtStart, 2)} at start)`,
    `note: ${result.note}`,
    `stand-in's risk limits for this run: ${parameters.standinLimits.perPaymentMinor} pence per payment and per account per day (defaults 50,000 and 150,000)`,
    '',
    phaseTableHeader(),
    phaseRow(`primary (${shape})`, phases.primary),
    phaseRow(`stand-in (${shape})`, phases.standin),
    phaseRow(`stand-in at half rate (open, ${fixed(figures.standinHalfRate.ratePerSecond)}/s)`, phases.standinHalfRate),
    `approved: primary ${approvedShare(phases.primary)}, stand-in ${approvedShare(phases.standin)}; stand-in answered as '${result.standinSanityCheck.decidedBy}'`,
    '',
    'CPU (cores busy):',
    cpuLine('primary', phases.primary.cpu),
    cpuLine('stand-in', phases.standin.cpu),
    cpuLine("pgbench -N (stand-in's cluster)", phases.standinPgbench.cpu),
    '',
    `stand-in throughput >= primary's: ${fixed(figures.standin.throughputPerSecond)} / ${fixed(figures.primary.throughputPerSecond)} = ${fixed(figures.standinToPrimaryThroughputRatio, 3)}  ${verdict(targets.standinThroughputAtLeastPrimary.met)}`,
    `stand-in throughput / pgbench -N on its cluster (same run): ${fixed(figures.standin.throughputPerSecond)} / ${fixed(figures.standinPgbenchTps)} = ${fixed(figures.standinToPgbenchThroughputRatio, 3)} (>= ${targets.standinThroughputToPgbench.requiredRatio})  ${verdict(targets.standinThroughputToPgbench.met)}`,
    `at saturation p50/p99: stand-in ${fixed(figures.standin.p50Ms, 2)}/${fixed(figures.standin.p99Ms, 2)} ms, primary ${fixed(figures.primary.p50Ms, 2)}/${fixed(figures.primary.p99Ms, 2)} ms`,
    `stand-in at half rate p50/p99: ${fixed(figures.standinHalfRate.p50Ms, 2)}/${fixed(figures.standinHalfRate.p99Ms, 2)} ms (p99 <= ${targets.standinHalfRateP99.maxMs} ms)  ${verdict(targets.standinHalfRateP99.met)}`,
    `stand-in database calls per authorisation: ${figures.standinDatabaseCallsPerAuthorisation ?? 'not counted by this build'}`,
    `advices afterwards: ${adviceDrainLine(result.advicesAfterwards)}${result.advicesAfterwards.drained ? '' : ' (NOT all: the rest wait in the shared subscription)'}`,
    ...(result.disturbedInfrastructure.length > 0
      ? [`WARNING: infrastructure disturbed during the run (figures suspect): ${result.disturbedInfrastructure.join(', ')}`]
      : []),
    `results: ${path.relative(REPOSITORY_ROOT, file)}`,
  ];
  console.log(lines.join('\n'));
}

export function standinAuthHeadline(result: StandinAuthResult): HeadlineFigure[] {
  const { figures, targets } = result;
  return [
    figure('stand-in saturation throughput', figures.standin.throughputPerSecond, 'auth/s'),
    figure('primary saturation throughput (same run)', figures.primary.throughputPerSecond, 'auth/s'),
    figure('stand-in / primary throughput', figures.standinToPrimaryThroughputRatio, 'ratio', {
      description: `>= ${targets.standinThroughputAtLeastPrimary.requiredRatio}`,
      met: targets.standinThroughputAtLeastPrimary.met,
    }),
    figure('stand-in p99', figures.standin.p99Ms, 'ms'),
    figure('stand-in / pgbench -N on its cluster', figures.standinToPgbenchThroughputRatio, 'ratio', {
      description: `>= ${targets.standinThroughputToPgbench.requiredRatio}`,
      met: targets.standinThroughputToPgbench.met,
    }),
    figure('stand-in p99 at half rate', figures.standinHalfRate.p99Ms, 'ms', {
      description: `<= ${targets.standinHalfRateP99.maxMs}`,
      met: targets.standinHalfRateP99.met,
    }),
    figure('primary p99 (same run)', figures.primary.p99Ms, 'ms'),
    figure("stand-in's advices all applied in primary afterwards", result.advicesAfterwards.drained ? 'yes' : 'NO', ''),
  ];
}
