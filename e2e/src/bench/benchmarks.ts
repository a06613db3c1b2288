import { runAdviceDrainBenchmark } from './advice-drain/benchmark';
import { adviceDrainHeadline, printAdviceDrainReport } from './advice-drain/report';
import { runFailoverBenchmark } from './failover/benchmark';
import { failoverHeadline, printFailoverReport } from './failover/report';
import { runPrimaryAuthBenchmark } from './primary-auth/benchmark';
import { primaryAuthHeadline, printPrimaryAuthReport } from './primary-auth/report';
import { runPrimaryReplicasBenchmark } from './primary-replicas/benchmark';
import { primaryReplicasHeadline, printPrimaryReplicasReport } from './primary-replicas/report';
import { runShadowBenchmark } from './shadow/benchmark';
import { printShadowReport, shadowHeadline } from './shadow/report';
import type { HeadlineFigure } from './shared/headline';
import { writeBenchResult } from './shared/results-file';
import { runStandinAuthBenchmark } from './standin-auth/benchmark';
import { printStandinAuthReport, standinAuthHeadline } from './standin-auth/report';
import { runSyncLagBenchmark } from './sync-lag/benchmark';
import { printSyncLagReport, syncLagHeadline } from './sync-lag/report';

/**
 * One benchmark, in its folder: `run` measures and returns its result (nothing else), `print`
 * writes the report a reader sees, `headline` picks the figures for the run's summary. The runner
 * below does the rest for every benchmark alike, so no benchmark imports its own report.
 */
interface Benchmark<Result> {
  readonly run: () => Promise<Result>;
  readonly print: (result: Result, file: string) => void;
  readonly headline: (result: Result) => readonly HeadlineFigure[];
}

/** Runs one benchmark, writes results/bench/<name>.json, prints its report and returns its headline figures. */
function reported<Result>(name: string, benchmark: Benchmark<Result>): () => Promise<readonly HeadlineFigure[]> {
  return async () => {
    const result = await benchmark.run();
    const file = writeBenchResult(name, result);
    benchmark.print(result, file);
    return benchmark.headline(result);
  };
}

/**
 * Every benchmark `npm run bench` knows, by the name given on the command line, in run order. The
 * failover benchmark kills its own primary, so it goes last.
 */
export const BENCHMARKS: Readonly<Record<string, () => Promise<readonly HeadlineFigure[]>>> = {
  'primary-auth': reported('primary-auth', { run: runPrimaryAuthBenchmark, print: printPrimaryAuthReport, headline: primaryAuthHeadline }),
  'primary-replicas': reported('primary-replicas', { run: runPrimaryReplicasBenchmark, print: printPrimaryReplicasReport, headline: primaryReplicasHeadline }),
  'sync-lag': reported('sync-lag', { run: runSyncLagBenchmark, print: printSyncLagReport, headline: syncLagHeadline }),
  'standin-auth': reported('standin-auth', { run: runStandinAuthBenchmark, print: printStandinAuthReport, headline: standinAuthHeadline }),
  'advice-drain': reported('advice-drain', { run: runAdviceDrainBenchmark, print: printAdviceDrainReport, headline: adviceDrainHeadline }),
  shadow: reported('shadow', { run: runShadowBenchmark, print: printShadowReport, headline: shadowHeadline }),
  failover: reported('failover', { run: runFailoverBenchmark, print: printFailoverReport, headline: failoverHeadline }),
};
