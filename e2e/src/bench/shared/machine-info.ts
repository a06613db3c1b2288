import os from 'node:os';

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly totalMemoryMiB: number;
  readonly platform: string;
  readonly release: string;
  readonly node: string;
  /** Other work on the machine when the run began (another engineer's tests, say) shows up here. */
  readonly loadAverage1mAtStart: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    platform: os.platform(),
    release: os.release(),
    node: process.version,
    loadAverage1mAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** What shares the machine during a benchmark, and what its figures can and cannot be read as. */
export interface MachineSharing {
  /** Which processes share the cores, e.g. "the load process, primary, PostgreSQL". */
  readonly processes: string;
  /** What the figures compare, and that they are not production capacity. */
  readonly meaning: string;
}

const PRIMARY_AUTH_SHARING: MachineSharing = {
  processes:
    'the load process, primary, PostgreSQL (and the idle-but-running Redis, Kafka and Pub/Sub emulator) share them, and pgbench competes with its own client the same way',
  meaning: 'the figures compare primary with pgbench on this machine, they are not production capacity',
};

/** Every process of the benchmark runs on this one machine; the figures mean nothing without saying so. */
export function sharedMachineNote(machine: MachineInfo, sharing: MachineSharing = PRIMARY_AUTH_SHARING): string {
  return `all on one machine with ${machine.cpus} CPU core${machine.cpus === 1 ? '' : 's'}: ${sharing.processes}; ${sharing.meaning}`;
}
