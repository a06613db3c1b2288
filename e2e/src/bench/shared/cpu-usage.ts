import fs from 'node:fs';
import os from 'node:os';

// Where the CPU went during a phase. On a 2-core machine shared by the load generator, primary,
// PostgreSQL and Kafka, a throughput figure alone does not say what the limit was; this does.
// Per-process figures come from /proc (Linux); elsewhere only the machine-wide figure is given.

/** Linux reports process CPU times in USER_HZ ticks, 100 a second on every mainstream platform. */
const TICKS_PER_SECOND = 100;

interface ProcessTimes {
  readonly ppid: number;
  /** utime + stime + cutime + cstime: the cutime/cstime part keeps exited, reaped children (short-lived backends, pgbench) counted. */
  readonly ticks: number;
}

interface CpuSnapshot {
  readonly at: bigint;
  readonly machineBusyMs: number;
  readonly processTicks: ReadonlyMap<string, number>;
}

export interface CpuUsage {
  /** Cores' worth of CPU busy across the whole machine (2.0 = both cores of a 2-core machine fully busy). */
  readonly machineCoresBusy: number;
  readonly machineCores: number;
  /** Cores' worth of CPU used by each named process and its descendants (excluding other named ones). */
  readonly coresByProcess: Readonly<Record<string, number>>;
}

function processTable(): Map<number, ProcessTimes> {
  const table = new Map<number, ProcessTimes>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after "pid (comm) ", where comm may itself contain spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [ppid, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map((index) => Number(fields[index]));
      table.set(Number(entry), { ppid: ppid ?? 0, ticks: (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0) });
    } catch {
      // The process exited while the table was read.
    }
  }
  return table;
}

function machineBusyMs(): number {
  return os.cpus().reduce((sum, cpu) => sum + cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq, 0);
}

/** A process to meter: its pid, or how to find it when it is started (or restarted) after the meter was made. */
export type CpuRoot = number | undefined | (() => number | undefined);

function ticksByRoot(rootsGiven: Readonly<Record<string, CpuRoot>>): Map<string, number> {
  const roots = Object.fromEntries(Object.entries(rootsGiven).map(([name, root]) => [name, typeof root === 'function' ? root() : root]));
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, times] of table) children.set(times.ppid, [...(children.get(times.ppid) ?? []), pid]);
  const rootPids = new Set(Object.values(roots).filter((pid): pid is number => pid !== undefined));
  const result = new Map<string, number>();
  for (const [name, root] of Object.entries(roots)) {
    if (root === undefined || !table.has(root)) continue;
    let ticks = 0;
    const pending = [root];
    while (pending.length > 0) {
      const pid = pending.pop() as number;
      ticks += table.get(pid)?.ticks ?? 0;
      for (const child of children.get(pid) ?? []) if (!rootPids.has(child)) pending.push(child);
    }
    result.set(name, ticks);
  }
  return result;
}

export interface CpuMeter {
  /** Runs `work` and reports the CPU used while it ran. */
  measure<T>(work: () => Promise<T>): Promise<{ value: T; cpu: CpuUsage }>;
}

export function cpuMeter(roots: Readonly<Record<string, CpuRoot>>): CpuMeter {
  const snapshot = (): CpuSnapshot => ({ at: process.hrtime.bigint(), machineBusyMs: machineBusyMs(), processTicks: ticksByRoot(roots) });
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    async measure(work) {
      const before = snapshot();
      const value = await work();
      const after = snapshot();
      const seconds = Number(after.at - before.at) / 1e9;
      const coresByProcess: Record<string, number> = {};
      for (const [name, ticks] of after.processTicks) {
        // Not running at the start (started during the work, e.g. the advice consumer): all its time is the work's.
        const earlier = before.processTicks.get(name) ?? 0;
        coresByProcess[name] = round((ticks - earlier) / TICKS_PER_SECOND / seconds);
      }
      const machineCoresBusy = round((after.machineBusyMs - before.machineBusyMs) / 1000 / seconds);
      // Whatever else ran (the kernel, Redis, the Pub/Sub emulator, someone else's tests) is the rest.
      const named = Object.values(coresByProcess).reduce((sum, cores) => sum + cores, 0);
      coresByProcess['everything else'] = round(Math.max(0, machineCoresBusy - named));
      return { value, cpu: { machineCoresBusy, machineCores: os.cpus().length, coresByProcess } };
    },
  };
}
