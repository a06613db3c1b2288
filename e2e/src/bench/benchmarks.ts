import { runAdviceDrainBenchmark } from './advice-drain';
import { adviceDrainHeadline } from './advice-drain-report';
import { runFailoverBenchmark } from './failover';
import { failoverHeadline } from './failover-report';
import type { HeadlineFigure } from './headline';
import { runPrimaryAuthBenchmark } from './primary-auth';
import { runShadowBenchmark, shadowHeadline } from './shadow';
import { primaryAuthHeadline } from './primary-auth-report';
import { runStandinAuthBenchmark } from './standin-auth';
import { standinAuthHeadline } from './standin-auth-report';
import { runSyncLagBenchmark } from './sync-lag';
import { syncLagHeadline } from './sync-lag-report';

/**
 * Every benchmark `npm run bench` knows, by the name given on the command line, in run order: each
 * runs, writes results/bench/<name>.json, prints its report and returns its headline figures. The
 * failover benchmark kills its own primary, so it goes last.
 */
export const BENCHMARKS: Readonly<Record<string, () => Promise<readonly HeadlineFigure[]>>> = {
  'primary-auth': async () => primaryAuthHeadline(await runPrimaryAuthBenchmark()),
  'sync-lag': async () => syncLagHeadline(await runSyncLagBenchmark()),
  'standin-auth': async () => standinAuthHeadline(await runStandinAuthBenchmark()),
  'advice-drain': async () => adviceDrainHeadline(await runAdviceDrainBenchmark()),
  shadow: async () => shadowHeadline(await runShadowBenchmark()),
  failover: async () => failoverHeadline(await runFailoverBenchmark()),
};
