import { runPrimaryAuthBenchmark } from './primary-auth';
import { runStandinAuthBenchmark } from './standin-auth';
import { runSyncLagBenchmark } from './sync-lag';

/** Every benchmark `npm run bench` knows, by the name given on the command line, in run order. */
export const BENCHMARKS: Readonly<Record<string, () => Promise<unknown>>> = {
  'primary-auth': runPrimaryAuthBenchmark,
  'sync-lag': runSyncLagBenchmark,
  'standin-auth': runStandinAuthBenchmark,
};
