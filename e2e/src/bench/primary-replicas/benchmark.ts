import os from 'node:os';
import path from 'node:path';
import { assertAllStarted, createInfra, startLoadBalancer, type RunningLoadBalancer } from '@bank/infra';
import { newRunTag } from '../shared/authorisation-messages';
import { setUpBenchCards } from '../shared/bench-cards';
import { forkLoadWorker } from '../shared/load-worker-client';
import type { PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { freePort } from '../../stack/service-process';
import { untilEveryReplicaUp } from '../../stack/replicas';
import { migratePrimary, startPrimary, type RunningPrimary } from '../primary-auth/primary-process';

// Card authorisations at saturation through HAProxy in front of one primary replica, then in
// front of two (the same two processes, the same database), then one again, in the same run: the
// ratio says whether primary's process or its database is the bound. One, two, one: a machine
// shared with others drifts, and the two one-replica phases show by how much.

export const PRIMARY_REPLICAS_PARAMETERS = {
  accounts: 200,
  fundingMinor: 100_000_000,
  concurrency: 64,
  requestTimeoutMs: 10_000,
  warmUpMs: 3_000,
  phaseMs: 15_000,
} as const;

export interface PrimaryReplicasResult {
  readonly benchmark: 'primary-replicas';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly loadAverageAtStart: readonly number[];
  readonly parameters: typeof PRIMARY_REPLICAS_PARAMETERS;
  readonly figures: {
    readonly oneReplicaPerSecond: number;
    readonly twoReplicasPerSecond: number;
    readonly oneReplicaAgainPerSecond: number;
    /** Two replicas over the mean of the two one-replica phases. */
    readonly twoToOneRatio: number;
  };
  readonly phases: Record<'one' | 'two' | 'oneAgain', PhaseResult>;
}

const log = (line: string) => console.log(`[primary-replicas] ${line}`);
const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

export async function runPrimaryReplicasBenchmark(): Promise<PrimaryReplicasResult> {
  const parameters = PRIMARY_REPLICAS_PARAMETERS;
  const loadAverageAtStart = os.loadavg().map((value) => round(value, 2));
  const infra = createInfra();
  assertAllStarted(await infra.up());
  migratePrimary(infra.config);
  const directory = path.join(infra.config.dataDir, 'bench');
  const primaries: RunningPrimary[] = [];
  const balancers: RunningLoadBalancer[] = [];
  const worker = forkLoadWorker();
  try {
    for (const index of [1, 2]) primaries.push(await startPrimary(infra.config, { logFile: path.join(directory, `primary-replicas.primary-${index}.log`) }));
    const backends = primaries.map((primary, index) => ({ name: `primary-${index + 1}`, port: Number(new URL(primary.baseUrl).port) }));
    const balancer = async (name: string, count: number) => {
      const started = await startLoadBalancer({ name, port: await freePort(), statsPort: await freePort(), directory, backends: backends.slice(0, count) });
      balancers.push(started);
      await untilEveryReplicaUp(started, count);
      return started;
    };
    const one = await balancer('lb-bench-one', 1);
    const two = await balancer('lb-bench-two', 2);
    log(`two primaries behind ${two.url}, the first alone behind ${one.url}; load average ${loadAverageAtStart.join(' ')}`);
    const cards = await setUpBenchCards(two.url, parameters.accounts, parameters.fundingMinor);
    const measure = async (through: RunningLoadBalancer, name: string): Promise<PhaseResult> => {
      // A run tag of its own per phase: no message repeats one already decided (a repeat is answered from the stored decision).
      await worker.configure({
        baseUrl: through.url,
        cards,
        maxSockets: parameters.concurrency,
        requestTimeoutMs: parameters.requestTimeoutMs,
        runTag: newRunTag(),
      });
      await worker.run({ kind: 'closed-loop', name: `${name} warm-up`, durationMs: parameters.warmUpMs, concurrency: parameters.concurrency });
      const result = await worker.run({ kind: 'closed-loop', name, durationMs: parameters.phaseMs, concurrency: parameters.concurrency });
      log(`${name}: ${result.throughputPerSecond}/s, p99 ${result.latencyMs.p99Ms} ms, ${result.errors} errors`);
      return result;
    };
    const phases = { one: await measure(one, 'one replica'), two: await measure(two, 'two replicas'), oneAgain: await measure(one, 'one replica again') };
    const machine = machineInfo();
    return {
      benchmark: 'primary-replicas',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine),
      loadAverageAtStart,
      parameters,
      figures: {
        oneReplicaPerSecond: phases.one.throughputPerSecond,
        twoReplicasPerSecond: phases.two.throughputPerSecond,
        oneReplicaAgainPerSecond: phases.oneAgain.throughputPerSecond,
        twoToOneRatio: round(phases.two.throughputPerSecond / ((phases.one.throughputPerSecond + phases.oneAgain.throughputPerSecond) / 2), 2),
      },
      phases,
    };
  } finally {
    await worker.stop();
    for (const started of balancers) await started.stop();
    for (const primary of primaries) await primary.stop();
  }
}
