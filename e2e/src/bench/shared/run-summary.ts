import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import type { HeadlineFigure } from './headline';
import { machineInfo, type MachineInfo } from './machine-info';
import { fixed, verdict } from './report-format';
import { benchResultFile, writeBenchResult } from './results-file';

// One `npm run bench` as a whole: which benchmarks ran, how long each took, their headline figures
// and targets, in results/bench/summary.json and as a short table at the end of the output (each
// benchmark's report above it has the detail).

export interface BenchmarkOutcome {
  readonly name: string;
  readonly status: 'ran' | 'failed';
  readonly error?: string;
  readonly startedAt: string;
  readonly seconds: number;
  /** Its own JSON; a failed benchmark writes none (an older file there is not this run's). */
  readonly resultFile: string | null;
  readonly figures: readonly HeadlineFigure[];
}

export interface RunSummary {
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly benchmarks: readonly BenchmarkOutcome[];
  readonly targets: { readonly met: number; readonly notMet: number };
}

/** Runs one benchmark and records what it gave, or why it gave nothing. */
export async function runBenchmark(name: string, run: () => Promise<readonly HeadlineFigure[]>): Promise<BenchmarkOutcome> {
  const startedAt = new Date();
  const took = () => Math.round((Date.now() - startedAt.getTime()) / 100) / 10;
  try {
    const figures = await run();
    return {
      name,
      status: 'ran',
      startedAt: startedAt.toISOString(),
      seconds: took(),
      resultFile: path.relative(REPOSITORY_ROOT, benchResultFile(name)),
      figures,
    };
  } catch (error) {
    return { name, status: 'failed', error: (error as Error).message, startedAt: startedAt.toISOString(), seconds: took(), resultFile: null, figures: [] };
  }
}

/** Integers as they are, ratios (below 10) to 3 places, everything else to 1. */
const valueText = (value: HeadlineFigure['value']) =>
  value === null ? '-' : typeof value === 'number' ? fixed(value, Number.isInteger(value) ? 0 : value < 10 ? 3 : 1) : value;

export function writeRunSummary(benchmarks: readonly BenchmarkOutcome[]): { summary: RunSummary; file: string } {
  const targets = benchmarks.flatMap((benchmark) => benchmark.figures.flatMap((row) => (row.target ? [row.target.met] : [])));
  const summary: RunSummary = {
    timestamp: new Date().toISOString(),
    machine: machineInfo(),
    benchmarks,
    targets: { met: targets.filter(Boolean).length, notMet: targets.filter((met) => !met).length },
  };
  return { summary, file: writeBenchResult('summary', summary) };
}

export function printRunSummary(summary: RunSummary, file: string): void {
  const lines = [
    '',
    `summary of this run  ${summary.timestamp}  (${summary.machine.cpus} CPU cores, load average ${fixed(summary.machine.loadAverage1mAtStart, 2)} now)`,
    '',
  ];
  lines.push(`${'benchmark'.padEnd(14)} ${'figure'.padEnd(58)} ${'value'.padStart(16)} ${'unit'.padEnd(10)} target`);
  for (const benchmark of summary.benchmarks) {
    if (benchmark.status === 'failed') {
      lines.push(`${benchmark.name.padEnd(14)} FAILED after ${fixed(benchmark.seconds)} s: ${benchmark.error ?? 'no reason given'}`);
      continue;
    }
    benchmark.figures.forEach((row, index) => {
      const target = row.target ? `${row.target.description}  ${verdict(row.target.met)}` : '';
      lines.push(
        `${(index === 0 ? benchmark.name : '').padEnd(14)} ${row.name.padEnd(58)} ${valueText(row.value).padStart(16)} ${row.unit.padEnd(10)} ${target}`.trimEnd(),
      );
    });
  }
  lines.push(
    '',
    `targets: ${summary.targets.met} met, ${summary.targets.notMet} not met; took ${summary.benchmarks.map((benchmark) => `${benchmark.name} ${fixed(benchmark.seconds, 0)} s`).join(', ')}`,
    `summary: ${path.relative(REPOSITORY_ROOT, file)}`,
  );
  console.log(lines.join('\n'));
}
