import { GATEWAY_PRIMARY_VIEW_ROUTE, GatewayPrimaryView } from '@bank/shared-contracts';
import type { Database } from '../store/database';
import { currentSyncState } from '../views/sync-state';
import type { AutopilotSample, GatewayTraffic } from './autopilot-decision';

// One look at the world, as the engineer on call would take it: does stand-in's own database
// answer; does primary, asked from stand-in's cloud, say it can decide; what has the gateway in
// the data centre seen of primary since the previous look; and how current stand-in's synced data is. Every question has a short timeout: a
// question that hangs is an answer ("no"), never a stalled loop.

export interface SamplerTargets {
  readonly database: Database;
  /** Primary's API; its GET /health/route says whether it can route and decide. */
  readonly primaryUrl: string;
  /** The gateway; its GET /primary-view is read with stand-in's own credential. */
  readonly gatewayUrl: string;
  readonly credential: string;
  readonly timeoutMs?: number;
  /** How long primary's health answer may take (PRIMARY_HEALTH_TIMEOUT_MS). */
  readonly primaryTimeoutMs?: number;
}

export const SAMPLE_TIMEOUT_MS = 1_000;
/**
 * Primary's own health answer may take longer than the other questions: a loaded primary that
 * answers in 1.5 s is slow, not gone, and must not move the apps (found in review).
 */
export const PRIMARY_HEALTH_TIMEOUT_MS = 3_000;

/** A sample, and why the gateway is not in it when it is not. */
export interface TakenSample {
  readonly sample: AutopilotSample;
  readonly gatewayProblem?: string;
  /**
   * The gateway's counters were read for the first time (nothing to difference yet): the sample is
   * not kept, or the evidence from stand-in alone (the app) would start a sample earlier than the
   * gateway's and switch on its own a moment before the rest, as a second change.
   */
  readonly baseline?: true;
  /** Stand-in's sync state (lag, silence), to show beside the evidence; absent when unknown. */
  readonly sync?: { readonly lagMs: number; readonly alerting: boolean; readonly syncerSilentMs?: number };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function primaryFromStandin(url: string, timeoutMs: number): Promise<AutopilotSample['primaryFromStandin']> {
  try {
    const response = await fetch(`${url}/health/route`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json().catch(() => undefined)) as { canDecide?: unknown } | undefined;
    // Up but failing, or up and unable to reach its database: it answers, it cannot decide.
    return response.ok && body?.canDecide === true ? 'ready' : 'cannot_decide';
  } catch {
    return 'unreachable';
  }
}

const difference = (now: GatewayPrimaryView['toPrimary'], before: GatewayPrimaryView['toPrimary']): GatewayTraffic | undefined => {
  const traffic = {
    total: now.total - before.total,
    timedOut: now.timedOut - before.timedOut,
    connectionFailed: now.connectionFailed - before.connectionFailed,
    serverErrors: now.serverErrors - before.serverErrors,
    issuerUnavailable: now.issuerUnavailable - before.issuerUnavailable,
  };
  return Object.values(traffic).some((value) => value < 0) ? undefined : traffic;
};

/** Gateway processes remembered at once (behind one address there are a handful of replicas). */
const MAX_GATEWAY_INSTANCES = 32;

/**
 * Takes samples; keeps each gateway process's previous read to difference its counters against.
 * Behind a load balancer successive reads land on different replicas: each is differenced against
 * its own previous read (its first read is its baseline), so a sample says what that replica saw
 * since it was last read. The failure share is a ratio, so a replica's share of traffic judges it.
 */
export function createSampler(targets: SamplerTargets) {
  const timeoutMs = targets.timeoutMs ?? SAMPLE_TIMEOUT_MS;
  const previousByInstance = new Map<string, GatewayPrimaryView>();
  let anyRead = false;

  const readGateway = async (): Promise<{ gateway?: NonNullable<AutopilotSample['gateway']>; problem?: string; baseline?: true }> => {
    let view: GatewayPrimaryView;
    try {
      const response = await fetch(`${targets.gatewayUrl}${GATEWAY_PRIMARY_VIEW_ROUTE}`, {
        headers: { authorization: `Bearer ${targets.credential}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return { problem: `the gateway answered HTTP ${response.status}` };
      }
      const parsed = GatewayPrimaryView.safeParse(await response.json());
      if (!parsed.success) return { problem: 'the gateway answered with a view stand-in does not understand' };
      view = parsed.data;
    } catch (failure) {
      return {
        problem: `the gateway could not be read (${(failure as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (failure as Error).message})`,
      };
    }
    const before = previousByInstance.get(view.instance);
    previousByInstance.delete(view.instance);
    previousByInstance.set(view.instance, view);
    // Bounded: the replica read longest ago is forgotten first (a Map keeps insertion order).
    if (previousByInstance.size > MAX_GATEWAY_INSTANCES) previousByInstance.delete(previousByInstance.keys().next().value!);
    const first = !anyRead;
    anyRead = true;
    if (!before)
      return first
        ? { problem: "first read of the gateway's counters: the next sample differences them", baseline: true }
        : { problem: "first read of this gateway replica's counters: its next read is differenced against it" };
    if (before.startedAt !== view.startedAt) return { problem: 'the gateway restarted: its counters start again' };
    const toPrimary = difference(view.toPrimary, before.toPrimary);
    if (!toPrimary) return { problem: "the gateway's counters went back: another gateway answered, or it restarted" };
    return { gateway: { toPrimary, primaryBreakerOpen: view.primaryBreakerOpen, primaryAnswersProbe: probeAnswered(view, before) } };
  };

  return {
    async sample(atMs: number): Promise<TakenSample> {
      const [standinHealthy, primary, gateway, sync] = await Promise.all([
        withTimeout(targets.database.query('select 1'), timeoutMs).then(
          () => true,
          () => false,
        ),
        primaryFromStandin(targets.primaryUrl, Math.max(timeoutMs, targets.primaryTimeoutMs ?? PRIMARY_HEALTH_TIMEOUT_MS)),
        readGateway(),
        withTimeout(currentSyncState(targets.database, new Date(atMs)), timeoutMs).catch(() => undefined),
      ]);
      return {
        sample: { atMs, standinHealthy, primaryFromStandin: primary, ...(gateway.gateway ? { gateway: gateway.gateway } : {}) },
        ...(gateway.problem ? { gatewayProblem: gateway.problem } : {}),
        ...(gateway.baseline ? { baseline: true } : {}),
        ...(sync
          ? {
              sync: {
                lagMs: sync.lagMs,
                alerting: sync.alerting,
                ...(sync.syncerSilentMs === undefined ? {} : { syncerSilentMs: Math.max(0, Math.round(sync.syncerSilentMs)) }),
              },
            }
          : {}),
      };
    },
  };
}

/**
 * Did primary answer the gateway's probe since the previous read: any probe answered in between
 * says yes (slow is not unreachable); only unanswered ones say no; none finished, the newest says.
 */
function probeAnswered(view: GatewayPrimaryView, before: GatewayPrimaryView): boolean {
  if (view.probe.answeredTotal > before.probe.answeredTotal) return true;
  if (view.probe.unansweredTotal > before.probe.unansweredTotal) return false;
  return view.probe.answered;
}
