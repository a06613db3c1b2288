import { assertAllStarted, createInfra } from '@bank/infra';
import { CONFIGURATION_ROUTES, ConfigurationDocument, SHADOW_ROUTES, ShadowReport } from '@bank/shared-contracts';
import { newRunTag } from '../shared/authorisation-messages';
import { pollUntil, startBenchStack } from '../shared/bench-stack';
import { forkLoadWorker } from '../shared/load-worker-client';
import type { PhaseResult } from '../shared/load-protocol';
import { machineInfo, sharedMachineNote, type MachineInfo } from '../shared/machine-info';
import { PRIMARY_AUTH_PARAMETERS } from '../primary-auth/benchmark';
import { setUpSyncedAccounts } from '../shared/synced-accounts';
import { OPERATOR } from '../../stack/services';

// Shadow decisioning's cost to primary, in one run: card authorisations through primary at the
// same open-loop rate with shadow off and with every message copied to stand-in (100%), in
// alternating rounds (off, on, off, on, ...) so that drift on a shared two-core machine hits both
// alike; the median p99 of the on phases must stay within 10% of the off phases'. Then stand-in's
// agreement report on what it decided.

export const SHADOW_PARAMETERS = {
  accounts: 200,
  fundingMinor: PRIMARY_AUTH_PARAMETERS.fundingMinor,
  requestTimeoutMs: PRIMARY_AUTH_PARAMETERS.requestTimeoutMs,
  /** Below primary's saturation on this machine (about 400–600/s), so p99 measures latency, not queueing. */
  ratePerSecond: 150,
  warmUpMs: 5_000,
  /** Rounds of (shadow off, shadow 100%), each phase this long. */
  rounds: 3,
  phaseMs: 15_000,
  cardSyncTimeoutMs: 60_000,
  catchUpTimeoutMs: 40_000,
  reportTimeoutMs: 120_000,
} as const;

export const SHADOW_TARGETS = { maxP99IncreaseFraction: 0.1 } as const;

export interface ShadowBenchResult {
  readonly benchmark: 'shadow';
  readonly timestamp: string;
  readonly machine: MachineInfo;
  readonly note: string;
  readonly parameters: typeof SHADOW_PARAMETERS;
  readonly figures: {
    /** Medians over the rounds; errors summed. */
    readonly shadowOff: PhaseFigures;
    readonly shadowAll: PhaseFigures;
    readonly rounds: readonly { readonly off: PhaseFigures; readonly all: PhaseFigures }[];
    readonly p99Increase: number;
    readonly shadowDecisions: number;
    readonly agreementRate: number | null;
    readonly defects: number;
    readonly shadowMessagesSent: number | null;
    readonly shadowMessagesDropped: number | null;
  };
  readonly target: { readonly p99WithinFractionOfShadowOff: { readonly required: number; readonly actual: number; readonly met: boolean } };
  readonly report: ShadowReport;
}

interface PhaseFigures {
  readonly throughputPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;
const log = (line: string) => console.log(`[shadow] ${line}`);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : round((sorted[middle - 1]! + sorted[middle]!) / 2, 3);
};
const medianFigures = (phases: readonly PhaseFigures[]): PhaseFigures => ({
  throughputPerSecond: median(phases.map((phase) => phase.throughputPerSecond)),
  p50Ms: median(phases.map((phase) => phase.p50Ms)),
  p99Ms: median(phases.map((phase) => phase.p99Ms)),
  errors: phases.reduce((sum, phase) => sum + phase.errors, 0),
});

async function operatorCall<T>(method: 'GET' | 'POST', url: string, parse: (body: unknown) => T, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${OPERATOR.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return parse(JSON.parse(text));
}

/** Sets the shadow percentage on stand-in (as the CLI does) and waits until primary routes by it. */
async function setShadow(urls: { primary: string; standin: string }, percent: number): Promise<void> {
  const current = await operatorCall('GET', `${urls.standin}${CONFIGURATION_ROUTES.current}`, (body) => ConfigurationDocument.parse(body));
  const changed = await operatorCall('POST', `${urls.standin}${CONFIGURATION_ROUTES.changes}`, (body) => ConfigurationDocument.parse(body), {
    basedOnVersion: current.version,
    reason: `bench: shadow ${percent}%`,
    shadow: { percent },
  });
  const adopted = await pollUntil(
    async () =>
      (await operatorCall('GET', `${urls.primary}${CONFIGURATION_ROUTES.current}`, (body) => ConfigurationDocument.parse(body))).version >= changed.version,
    30_000,
  );
  if (!adopted.done) throw new Error(`primary did not take the shadow setting (version ${changed.version}) within 30 s`);
}

async function counter(url: string, series: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

const phaseFigures = (phase: PhaseResult): PhaseFigures => ({
  throughputPerSecond: phase.throughputPerSecond,
  p50Ms: phase.latencyMs.p50Ms,
  p99Ms: phase.latencyMs.p99Ms,
  errors: phase.errors,
});

export async function runShadowBenchmark(): Promise<ShadowBenchResult> {
  const parameters = SHADOW_PARAMETERS;
  const machine = machineInfo();
  const infra = createInfra();
  log('bringing the infrastructure up (already running components are left as they are)');
  assertAllStarted(await infra.up());
  const stack = await startBenchStack(infra.config, 'shadow', log, { ownDatabases: true });
  const urls = { primary: stack.primary.url, standin: stack.standin.url };
  const worker = forkLoadWorker();
  let result: ShadowBenchResult;
  try {
    const synced = await setUpSyncedAccounts(stack, parameters, log);
    await synced.probe.close();
    await worker.configure({
      baseUrl: urls.primary,
      cards: synced.accounts.map((account) => account.card),
      maxSockets: 64,
      requestTimeoutMs: parameters.requestTimeoutMs,
      runTag: newRunTag(),
    });
    const phase = (name: string, durationMs: number) => worker.run({ kind: 'open-loop', name, durationMs, ratePerSecond: parameters.ratePerSecond });

    const since = new Date().toISOString();
    await setShadow(urls, 0);
    log(
      `${parameters.warmUpMs / 1000} s warm-up, then ${parameters.rounds} rounds of ${parameters.phaseMs / 1000} s shadow off and ${parameters.phaseMs / 1000} s shadow 100%, at ${parameters.ratePerSecond}/s`,
    );
    await phase('warm-up', parameters.warmUpMs);
    const rounds: { off: PhaseFigures; all: PhaseFigures }[] = [];
    for (let index = 1; index <= parameters.rounds; index++) {
      await setShadow(urls, 0);
      const off = phaseFigures(await phase(`round ${index} shadow off`, parameters.phaseMs));
      await setShadow(urls, 100);
      const on = phaseFigures(await phase(`round ${index} shadow 100%`, parameters.phaseMs));
      log(`round ${index}: p99 off ${off.p99Ms} ms, on ${on.p99Ms} ms (p50 ${off.p50Ms} / ${on.p50Ms} ms; errors ${off.errors} / ${on.errors})`);
      rounds.push({ off, all: on });
    }
    const off = medianFigures(rounds.map((pair) => pair.off));
    const all = medianFigures(rounds.map((pair) => pair.all));
    const sent = await counter(urls.primary, 'primary_shadow_messages_total{outcome="sent"}');
    const dropped = await counter(urls.primary, 'primary_shadow_messages_total{outcome="dropped"}');

    const readReport = () =>
      operatorCall('GET', `${urls.standin}${SHADOW_ROUTES.report}?since=${encodeURIComponent(since)}`, (body) => ShadowReport.parse(body));
    let report = await readReport();
    // Stand-in decides the copies as they come; wait until it has decided what primary sent.
    await pollUntil(async () => (report = await readReport()).decisions >= (sent ?? 0), parameters.reportTimeoutMs, 1_000);
    await setShadow(urls, 0);

    const increase = round(all.p99Ms / off.p99Ms - 1, 3);
    result = {
      benchmark: 'shadow',
      timestamp: new Date().toISOString(),
      machine,
      note: sharedMachineNote(machine),
      parameters,
      figures: {
        shadowOff: off,
        shadowAll: all,
        rounds,
        p99Increase: increase,
        shadowDecisions: report.decisions,
        agreementRate: report.agreementRate ?? null,
        defects: report.defects,
        shadowMessagesSent: sent,
        shadowMessagesDropped: dropped,
      },
      target: {
        p99WithinFractionOfShadowOff: {
          required: SHADOW_TARGETS.maxP99IncreaseFraction,
          actual: increase,
          met: all.errors === 0 && increase <= SHADOW_TARGETS.maxP99IncreaseFraction,
        },
      },
      report,
    };
  } finally {
    await worker.stop();
    await stack.stop();
  }
  return result;
}
