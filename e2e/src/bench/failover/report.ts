import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { FailoverResult } from './benchmark';
import type { AnswerCounts } from './failover-timeline';
import { figure, type HeadlineFigure } from '../shared/headline';
import { adviceDrainLine, cpuLine, fixed } from '../shared/report-format';

// The short human-readable summary; the JSON file holds everything (the timeline around each kill included).

const cell = (value: string | number, width: number) => String(value).padStart(width);
const ms = (value: number | null) => (value === null ? 'never' : `${fixed(value, 0)} ms`);

function countsRow(label: string, counts: AnswerCounts): string {
  return [
    label.padEnd(30),
    cell(counts.requests, 8),
    cell(counts.approvedByPrimary, 8),
    cell(counts.approvedByStandin, 8),
    cell(counts.declined, 8),
    cell(counts.noAnswer504, 8),
    cell(counts.otherErrors, 7),
    cell(counts.pastDeadline, 9),
  ].join(' ');
}

export function printFailoverReport(result: FailoverResult, file: string): void {
  const { parameters } = result;
  const header = `${'answers'.padEnd(30)} ${cell('total', 8)} ${cell('primary', 8)} ${cell('stand-in', 8)} ${cell('declined', 8)} ${cell('504/91', 8)} ${cell('errors', 7)} ${cell(`>${parameters.networkDeadlineMs / 1000} s`, 9)}`;
  const lines = [
    '',
    `failover  ${result.timestamp}  (${result.machine.cpus} CPU cores, ${result.machine.cpuModel}, Node ${result.machine.node}, load average ${fixed(result.machine.loadAverage1mAtStart, 2)} at start)`,
    `note: ${result.note}`,
    `load: ${parameters.ratePerSecond}/s open loop through the gateway, primary SIGKILLed after ${parameters.beforeKillMs / 1000} s, ${parameters.afterKillMs / 1000} s more; network deadline ${parameters.networkDeadlineMs} ms; ${result.setup.cards} synced cards`,
  ];
  for (const run of result.paths) {
    const { figures } = run;
    lines.push(
      '',
      `${run.path} (${run.gateway.name}: ${Object.entries(run.gateway.env)
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')})`,
      `  SIGKILL -> first approval decided by stand-in: ${ms(figures.firstStandinApprovalAfterKillMs)}` +
        (figures.firstStandinApproval
          ? ` (that request left ${fixed(figures.firstStandinApproval.sentAfterKillMs, 0)} ms after the kill, answered in ${fixed(figures.firstStandinApproval.latencyMs, 0)} ms)`
          : ''),
      ...(run.directConnectChange
        ? [
            `  the engineer's \`standin direct-connect on\`, issued at the kill: done ${fixed(run.directConnectChange.acceptedAfterKillMs, 0)} ms after it (version ${run.directConnectChange.version})`,
          ]
        : []),
      ...(run.path === 'autopilot'
        ? [
            run.autopilotChange
              ? `  the autopilot (hold ${parameters.autopilot.holdMs / 1000} s) switched ${fixed(run.autopilotChange.afterKillMs, 0)} ms after the kill (version ${run.autopilotChange.version}): "${run.autopilotChange.reason}"`
              : '  the autopilot made NO change',
          ]
        : []),
      `  gateway's route switched to stand-in (its log): ${run.switchLogged ? `${fixed(run.switchLogged.afterKillMs, 0)} ms after the kill (${run.switchLogged.cause})` : 'not after the kill'}` +
        (run.path === 'automatic failover' ? "; before that primary's breaker was closed and each message primary refused went on to stand-in by itself" : ''),
      `  stand-in held ${run.syncAtKill.syncedEvents} of primary's ${run.syncAtKill.primaryEvents} events for the cards at the kill; last answer from primary ${ms(figures.lastPrimaryAnswerAfterKillMs)} after it`,
      `  ${header}`,
      `  ${countsRow('before the kill', figures.beforeKill)}`,
      `  ${countsRow('in flight at the kill', figures.inFlightAtKill)}`,
      `  ${countsRow('during the switch', figures.duringSwitch)}`,
      `  ${countsRow('all after the kill', figures.afterKill)}`,
      `  steady state before the kill: p50 ${fixed(figures.beforeKillLatencyMs.p50Ms, 1)} ms, p99 ${fixed(figures.beforeKillLatencyMs.p99Ms, 1)} ms, max ${fixed(figures.beforeKillLatencyMs.maxMs, 1)} ms`,
      cpuLine('before kill', run.cpu.beforeKill),
      cpuLine('after kill', run.cpu.afterKill),
      `  stand-in approved ${figures.standinApprovedShareAfterSwitch === null ? '-' : `${fixed(figures.standinApprovedShareAfterSwitch * 100)} %`} of the requests from its first approval on; load p99 ${fixed(run.load.latencyMs.p99Ms, 1)} ms over the whole phase`,
    );
  }
  const reconciliation = result.advicesAfterwards.reconciliation;
  lines.push(
    '',
    `advices afterwards: ${adviceDrainLine(result.advicesAfterwards)}`,
    `reconciliation for the run's accounts: ${reconciliation ? (reconciliation.clean ? 'clean' : `NOT clean (${reconciliation.missing} missing, ${reconciliation.duplicated} duplicated, ${reconciliation.diverging} diverging)`) : 'not run'}`,
    ...(result.disturbedInfrastructure.length > 0
      ? [`WARNING: infrastructure disturbed during the run (figures suspect): ${result.disturbedInfrastructure.join(', ')}`]
      : []),
    `results: ${path.relative(REPOSITORY_ROOT, file)}`,
  );
  console.log(lines.join('\n'));
}

export function failoverHeadline(result: FailoverResult): HeadlineFigure[] {
  const deadline = `>${result.parameters.networkDeadlineMs} ms`;
  return [
    ...result.paths.flatMap((run) => [
      figure(`${run.path}: SIGKILL -> first stand-in approval`, run.figures.firstStandinApprovalAfterKillMs, 'ms'),
      figure(
        `${run.path}: 504/91 during the switch (after the kill)`,
        `${run.figures.duringSwitch.noAnswer504} (${run.figures.afterKill.noAnswer504})`,
        'answers',
      ),
      figure(
        `${run.path}: ${deadline} during the switch (after the kill)`,
        `${run.figures.duringSwitch.pastDeadline} (${run.figures.afterKill.pastDeadline})`,
        'answers',
      ),
    ]),
    figure('reconciliation afterwards', result.advicesAfterwards.reconciliation?.clean ? 'clean' : 'NOT clean', ''),
  ];
}
