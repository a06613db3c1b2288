import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayPrimaryView } from '@bank/shared-contracts';

// What the gateway sees of primary, for stand-in's autopilot (GET /primary-view): the payment
// messages it sent primary and how they ended, as counters that only go up (the reader
// differences two reads, so any number of readers can read), whether primary's breaker is open,
// and whether primary answers a probe at all. The probe asks the cheapest question there is
// (/health/live, no dependency) every second: any answer within its timeout counts, because a
// slow primary is not an unreachable one; only silence (dead, hung, cut off) is.

/** How one message sent to primary ended, as the gateway saw it. */
export type PrimaryOutcome = 'answered' | 'issuerUnavailable' | 'serverError' | 'timedOut' | 'connectionFailed';

export const PRIMARY_PROBE_PATH = '/health/live';
export const PRIMARY_PROBE_INTERVAL_MS = 1_000;
export const PRIMARY_PROBE_TIMEOUT_MS = 2_000;

export interface PrimaryView {
  /** Counts one message that was sent (or tried) to primary. */
  record(outcome: PrimaryOutcome): void;
  snapshot(): GatewayPrimaryView;
  stop(): Promise<void>;
}

export function startPrimaryView(deps: {
  readonly primaryUrl: string;
  readonly breakerOpen: () => boolean;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
}): PrimaryView {
  const now = deps.now ?? (() => new Date());
  const intervalMs = deps.probeIntervalMs ?? PRIMARY_PROBE_INTERVAL_MS;
  const timeoutMs = deps.probeTimeoutMs ?? PRIMARY_PROBE_TIMEOUT_MS;
  const startedAt = now().toISOString();
  // Which gateway process this is: behind a load balancer successive reads land on different replicas.
  const instance = randomUUID();
  const counts = { total: 0, timedOut: 0, connectionFailed: 0, serverErrors: 0, issuerUnavailable: 0 };
  const probe = { answered: false, answeredTotal: 0, unansweredTotal: 0, lastAnsweredAt: undefined as string | undefined };
  let running = true;
  let wake: (() => void) | undefined;
  let wasAnswering: boolean | undefined;

  const probeOnce = async () => {
    let answered: boolean;
    try {
      const response = await fetch(`${deps.primaryUrl}${PRIMARY_PROBE_PATH}`, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      // Any answer of primary's own counts (slow or failing is not unreachable); a proxy's or load
      // balancer's 502, 503 or 504 in front of a dead primary is not primary answering.
      answered = response.status !== 502 && response.status !== 503 && response.status !== 504;
    } catch {
      answered = false;
    }
    probe.answered = answered;
    if (answered) {
      probe.answeredTotal++;
      probe.lastAnsweredAt = now().toISOString();
    } else probe.unansweredTotal++;
    if (answered !== wasAnswering && wasAnswering !== undefined)
      deps.logger.warn(
        { event: 'primary_probe', answered },
        answered ? "primary answers the gateway's probe again" : `primary did not answer the gateway's probe within ${timeoutMs} ms`,
      );
    wasAnswering = answered;
  };

  // One probe at a time: a hung primary makes each probe last its timeout, never piles them up.
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      await probeOnce();
      if (!running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started)));
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();

  return {
    record(outcome) {
      counts.total++;
      if (outcome === 'timedOut') counts.timedOut++;
      else if (outcome === 'connectionFailed') counts.connectionFailed++;
      else if (outcome === 'serverError') counts.serverErrors++;
      else if (outcome === 'issuerUnavailable') counts.issuerUnavailable++;
    },
    snapshot: () => ({
      startedAt,
      instance,
      readAt: now().toISOString(),
      toPrimary: { ...counts },
      primaryBreakerOpen: deps.breakerOpen(),
      probe: {
        answered: probe.answered,
        answeredTotal: probe.answeredTotal,
        unansweredTotal: probe.unansweredTotal,
        ...(probe.lastAnsweredAt ? { lastAnsweredAt: probe.lastAnsweredAt } : {}),
        timeoutMs,
      },
    }),
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}

/** Primary's answer to a card authorisation says 91 (issuer unavailable): primary's way of failing within the deadline. */
export function answeredIssuerUnavailable(body: Buffer): boolean {
  // A cheap look before parsing: most answers are not 91.
  if (!body.includes('"91"')) return false;
  try {
    return (JSON.parse(body.toString('utf8')) as { responseCode?: unknown }).responseCode === '91';
  } catch {
    return false;
  }
}
