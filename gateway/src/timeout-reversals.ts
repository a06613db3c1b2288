import { CardReversalRequest, safeParseContract, timeoutReversalOf, type CardAuthorisationRequest } from '@bank/shared-contracts';
import type { Logger } from 'pino';
import type { TimeoutReversalSettings } from './config';
import type { Platform } from './destination';
import type { GatewayMetrics } from './metrics';
import { openPan, sealPan } from './pan-seal';
import type { RecordOutcome, ReversalStore, StoredReversal } from './reversal-store';

// When the gateway answers the network 504/91 for a card authorisation it forwarded to a platform
// that did not answer in time, the network takes the payment as declined. The platform may still
// approve it (a stalled stand-in resumes, a slow primary commits): the customer's money would stay
// held for a payment the merchant was told failed. Whoever answered 91 owes the platform it
// forwarded to a timeout reversal, as an acquirer reverses what timed out. So the gateway records
// the reversal durably before the 91 leaves (reversal-store.ts), and a worker sends it to that
// platform until it acknowledges (200, response code 00), across restarts of the gateway.
//
// Both platforms reverse idempotently: by the reversal's message key (derived from the original's,
// the same one primary uses for its own timeout reversals at stand-in, see shared-contracts), and
// by the original authorisation (already reversed, declined or unknown: nothing more is released).
// A reversal of a payment that was never approved is acknowledged and moves nothing.

export type OweOutcome = RecordOutcome | 'unrecorded';

export interface TimeoutReversals {
  /** Records, durably, that `target` is owed a reversal of `authorisation`: resolves once it is on disk (or could not be). */
  owe(target: Platform, authorisation: CardAuthorisationRequest): Promise<OweOutcome>;
  pending(): Record<Platform, number>;
  /** Stops the worker and closes the store; what is still owed stays on disk for the next start. */
  stop(): Promise<void>;
}

/** Identifies the original authorisation in logs, metrics and the store: never the PAN. */
export const originalKeyOf = (key: { stan: string; rrn: string; terminalId: string }) => `${key.stan}/${key.rrn}/${key.terminalId}`;
const boundTo = (target: Platform, originalKey: string) => `${target}/${originalKey}`;

type Delivery =
  { readonly kind: 'acknowledged' } | { readonly kind: 'retry'; readonly problem: string } | { readonly kind: 'refused'; readonly problem: string };

const PLATFORM_NAMES: Record<Platform, string> = { primary: 'primary', standin: 'stand-in' };
/** Owed reversals looked at per round of the worker; the rest wait for the next round. */
const ROUND_SIZE = 50;
const ROUND_INTERVAL_MS = 250;

export function retryDelayMs(settings: Pick<TimeoutReversalSettings, 'retryBaseMs' | 'retryMaxMs'>, failures: number): number {
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

export function startTimeoutReversals(deps: {
  store: ReversalStore;
  urls: Record<Platform, string>;
  /** The gateway's own credential (GATEWAY_TOKEN): the platforms' scheme routes are the gateway's. */
  credential: string;
  panSealKey: Buffer;
  settings: TimeoutReversalSettings;
  metrics: GatewayMetrics;
  logger: Logger;
  nowMs?: () => number;
}): TimeoutReversals {
  const { store, settings, metrics, logger } = deps;
  const nowMs = deps.nowMs ?? Date.now;
  /** Per platform: failures in a row, and no attempt before `pausedUntilMs`, so a platform that is down gets one probe per backoff, not a burst. */
  const targets: Record<Platform, { failuresInARow: number; pausedUntilMs: number }> = {
    primary: { failuresInARow: 0, pausedUntilMs: 0 },
    standin: { failuresInARow: 0, pausedUntilMs: 0 },
  };
  let stopped = false;
  let round: Promise<void> | undefined;

  const publishPending = () => {
    const pending = store.pending();
    for (const target of ['primary', 'standin'] as const) metrics.timeoutReversalsPending.set({ target }, pending[target]);
    const oldest = store.oldestCreatedAtMs();
    metrics.timeoutReversalOldestSeconds.set(oldest === undefined ? 0 : Math.max(0, (nowMs() - oldest) / 1000));
  };

  async function deliver(row: StoredReversal): Promise<Delivery> {
    let reversal: unknown;
    try {
      reversal = { ...(JSON.parse(row.reversalWithoutPan) as object), pan: openPan(deps.panSealKey, row.sealedPan, boundTo(row.target, row.originalKey)) };
    } catch {
      // The seal key changed, or the row was altered: no attempt can ever succeed.
      return { kind: 'refused', problem: 'its card number cannot be unsealed (GATEWAY_PAN_SEAL_KEY changed?)' };
    }
    const checked = safeParseContract('timeout reversal', CardReversalRequest, reversal);
    if (!checked.ok) return { kind: 'refused', problem: `it is not a valid reversal: ${checked.error.issues.map((issue) => issue.path).join(', ')}` };
    const name = PLATFORM_NAMES[row.target];
    try {
      const response = await fetch(`${deps.urls[row.target]}/scheme/card/reversals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${deps.credential}` },
        body: JSON.stringify(checked.value),
        signal: AbortSignal.timeout(settings.attemptTimeoutMs),
        redirect: 'manual',
      });
      const text = await response.text();
      let responseCode: unknown;
      try {
        responseCode = (JSON.parse(text) as { responseCode?: unknown }).responseCode;
      } catch {
        // not JSON: judged by its status below
      }
      if (response.status === 200 && responseCode === '00') return { kind: 'acknowledged' };
      // The platform refuses the message itself: sending it again cannot help.
      if (response.status >= 400 && response.status < 500) return { kind: 'refused', problem: `${name} refused it with HTTP ${response.status}` };
      return {
        kind: 'retry',
        problem: `${name} answered HTTP ${response.status}${typeof responseCode === 'string' ? ` with response code ${responseCode}` : ''}`,
      };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return {
        kind: 'retry',
        problem: timedOut
          ? `${name} did not answer within ${settings.attemptTimeoutMs} ms`
          : `${name} could not be reached (${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message})`,
      };
    }
  }

  async function attempt(row: StoredReversal): Promise<void> {
    const attempts = row.attempts + 1;
    const context = { event: 'timeout_reversal', target: row.target, original: row.originalKey, attempts };
    const delivery = await deliver(row);
    const target = targets[row.target];
    const now = nowMs();
    if (delivery.kind === 'acknowledged') {
      await store.remove(row.target, row.originalKey);
      target.failuresInARow = 0;
      target.pausedUntilMs = 0;
      metrics.timeoutReversals.inc({ target: row.target, outcome: 'acknowledged' });
      logger.info(
        { ...context, owedForMs: now - row.createdAtMs },
        `${PLATFORM_NAMES[row.target]} acknowledged the timeout reversal of an authorisation the gateway answered 91`,
      );
      return;
    }
    if (delivery.kind === 'refused' || attempts >= settings.maxAttempts) {
      await store.remove(row.target, row.originalKey);
      metrics.timeoutReversals.inc({ target: row.target, outcome: 'gave_up' });
      logger.error(
        { ...context, problem: delivery.problem, owedForMs: now - row.createdAtMs },
        `gave up the timeout reversal of an authorisation the gateway answered 91 (${delivery.kind === 'refused' ? delivery.problem : `${attempts} attempts`}): if ${PLATFORM_NAMES[row.target]} approved it, the money stays held until an operator reverses it`,
      );
      return;
    }
    target.failuresInARow++;
    target.pausedUntilMs = now + retryDelayMs(settings, target.failuresInARow);
    await store.attempted(row.target, row.originalKey, attempts, now + retryDelayMs(settings, attempts), delivery.problem);
    metrics.timeoutReversals.inc({ target: row.target, outcome: 'retried' });
    // The first failure and every tenth after it: a platform that is down for an hour is not a log line every minute per payment.
    if (attempts === 1 || attempts % 10 === 0)
      logger.warn({ ...context, problem: delivery.problem }, 'timeout reversal not acknowledged yet; trying again later');
  }

  async function runRound(): Promise<void> {
    const now = nowMs();
    const skipped = new Set<Platform>();
    for (const row of store.due(now, ROUND_SIZE)) {
      if (stopped) return;
      if (skipped.has(row.target) || targets[row.target].pausedUntilMs > now) continue;
      await attempt(row);
      // One failure pauses that platform for this round: the rest of its reversals wait for the next probe.
      if (targets[row.target].failuresInARow > 0) skipped.add(row.target);
    }
  }

  const timer = setInterval(() => {
    if (stopped || round) return;
    round = runRound()
      .catch((error: unknown) => logger.error({ err: error }, 'the timeout reversal worker failed a round; it tries again'))
      .finally(() => {
        publishPending();
        round = undefined;
      });
  }, ROUND_INTERVAL_MS);
  timer.unref();

  // The first seal initialises the cipher: paid at start, not by the first 91.
  sealPan(deps.panSealKey, '0000000000000000', 'warm-up');
  const resumed = store.pending();
  publishPending();
  if (resumed.primary + resumed.standin > 0) {
    logger.warn(
      { event: 'timeout_reversals_resumed', pending: resumed },
      `resuming the timeout reversals owed from before the start: ${resumed.primary} to primary, ${resumed.standin} to stand-in`,
    );
  }

  return {
    async owe(target, authorisation) {
      const originalKey = originalKeyOf(authorisation);
      const context = { event: 'timeout_reversal', target, original: originalKey };
      const now = nowMs();
      const { pan, ...withoutPan } = timeoutReversalOf(authorisation, new Date(now));
      let outcome: OweOutcome;
      try {
        outcome = await store.record(
          {
            target,
            originalKey,
            reversalWithoutPan: JSON.stringify(withoutPan),
            sealedPan: sealPan(deps.panSealKey, pan, boundTo(target, originalKey)),
            createdAtMs: now,
            nextAttemptAtMs: now + settings.firstAttemptAfterMs,
          },
          settings.maxPending,
        );
      } catch (error) {
        // The disk failed us: the network still gets its 91 in time, and an operator must reverse this one.
        metrics.timeoutReversals.inc({ target, outcome: 'unrecorded' });
        logger.error(
          { ...context, err: error },
          'could not record the timeout reversal this 91 owes: if the platform approves the payment, an operator must reverse it',
        );
        return 'unrecorded';
      }
      if (outcome === 'table_full') {
        metrics.timeoutReversals.inc({ target, outcome: 'dropped' });
        logger.error(
          { ...context, maxPending: settings.maxPending },
          'too many timeout reversals owed: this one is not recorded, and an operator must check the authorisation',
        );
      } else if (outcome === 'recorded') {
        metrics.timeoutReversals.inc({ target, outcome: 'recorded' });
        publishPending();
      }
      return outcome;
    },
    pending: () => store.pending(),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
      const left = store.pending();
      if (left.primary + left.standin > 0)
        logger.warn(
          { event: 'timeout_reversals_left', pending: left },
          'stopping with timeout reversals still owed: they are on disk and resumed at the next start',
        );
      await store.close();
    },
  };
}
