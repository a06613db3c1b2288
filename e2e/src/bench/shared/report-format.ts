import type { AdviceDrain } from './advice-drain-watch';
import type { CpuUsage } from './cpu-usage';
import type { PhaseResult } from './load-protocol';

// The pieces every benchmark's short human-readable summary is made of; the JSON file holds everything.

export const fixed = (value: number, places = 1) => (Number.isFinite(value) ? value.toFixed(places) : '-');

export const verdict = (met: boolean) => (met ? 'MET' : 'NOT MET');

export function phaseTableHeader(): string {
  return `${'phase'.padEnd(34)} ${'auth/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'max ms'.padStart(9)} ${'answered'.padStart(9)} ${'errors'.padStart(7)}`;
}

export function phaseRow(label: string, phase: PhaseResult): string {
  const cells = [
    label.padEnd(34),
    fixed(phase.throughputPerSecond).padStart(9),
    fixed(phase.latencyMs.p50Ms, 2).padStart(9),
    fixed(phase.latencyMs.p99Ms, 2).padStart(9),
    fixed(phase.latencyMs.maxMs, 2).padStart(9),
    String(phase.answered).padStart(9),
    String(phase.errors).padStart(7),
  ];
  return cells.join(' ');
}

export function cpuLine(label: string, cpu: CpuUsage): string {
  const processes = Object.entries(cpu.coresByProcess)
    .map(([name, cores]) => `${name} ${fixed(cores, 2)}`)
    .join(', ');
  return `  ${label.padEnd(12)} machine ${fixed(cpu.machineCoresBusy, 2)}/${cpu.machineCores}; ${processes}`;
}

/** One line on an advice drain: how many reached primary, how fast, and whether Pub/Sub delivered them. */
export function adviceDrainLine(drain: AdviceDrain): string {
  const seconds = (ms: number | null) => (ms === null ? '-' : `${fixed(ms / 1000)} s`);
  const rate = (value: number | null) => (value === null ? '-' : `${fixed(value)}/s`);
  const redriven = drain.redrivenFromStandinLog === null ? 'unknown' : String(drain.redrivenFromStandinLog);
  const applied = `${drain.appliedAtEnd - drain.appliedAtStart} of ${drain.advices - drain.appliedAtStart} applied in primary, the last ${seconds(drain.lastAppliedAfterMs)} after the advice consumer was started`;
  if (drain.purpose === 'clean-up') {
    const quiet = drain.subscriptionQuiet;
    const left =
      quiet === null
        ? 'not waited for the subscription to go quiet'
        : quiet.quiet
          ? `then ${quiet.messagesHandled} Pub/Sub copies consumed in ${fixed(quiet.waitedMs / 1000)} s, subscription quiet`
          : `subscription NOT quiet after ${fixed(quiet.waitedMs / 1000)} s: the next run's consumer gets the rest`;
    return `${applied} (clean-up, not a measurement: see advice-drain); re-driven from stand-in's log: ${redriven}; ${left}`;
  }
  return `${applied} (${rate(drain.advicesPerSecond)}; ${rate(drain.advicesPerSecondWhileApplying)} from the first applied to the last); re-driven from stand-in's log: ${redriven}`;
}
