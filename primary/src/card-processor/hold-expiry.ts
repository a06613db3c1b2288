import type { Logger } from 'pino';
import type { Clock } from '../platform/clock';
import type { PrimaryMetrics } from '../platform/metrics';
import type { CardProcessor } from './card-processor';

// Authorisation holds expire (issue 15): a hold nobody cleared within HOLD_EXPIRY_DAYS (7 by
// default, as schemes allow) is released, so a customer's money is not held for ever by a
// merchant that never presented its clearing. The sweep takes the time from the injected clock.

export const DEFAULT_HOLD_EXPIRY_DAYS = 7;
const DAY_MS = 86_400_000;
/** Holds (and parked reversals) expired per transaction batch; the sweep repeats until fewer come back. */
const BATCH = 200;
/** Batches per sweep at most: a sweep never runs unbounded, the next one carries on. */
const MAX_BATCHES_PER_SWEEP = 50;

export interface HoldExpiry {
  /** One sweep now: what it expired. */
  sweep(): Promise<{ expired: number; parkedReversalsRemoved: number }>;
  stop(): Promise<void>;
}

export function holdExpiry(deps: {
  processor: Pick<CardProcessor, 'expireHolds'>;
  clock: Clock;
  logger: Logger;
  metrics: PrimaryMetrics;
  expiryDays: number;
}): Omit<HoldExpiry, 'stop'> {
  return {
    async sweep() {
      const olderThan = new Date(deps.clock.now().getTime() - deps.expiryDays * DAY_MS);
      let expired = 0;
      let parkedReversalsRemoved = 0;
      for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
        const result = await deps.processor.expireHolds(olderThan, BATCH);
        expired += result.expired.length;
        parkedReversalsRemoved += result.parkedReversalsRemoved.length;
        deps.metrics.cardHoldsExpired.inc(result.expired.length);
        for (const key of result.parkedReversalsRemoved) {
          deps.logger.warn(
            { event: 'parked_reversal_expired', ...key, olderThan: olderThan.toISOString() },
            'a reversal parked for an authorisation that never arrived is removed after the hold expiry',
          );
        }
        if (result.expired.length < BATCH && result.parkedReversalsRemoved.length < BATCH) break;
      }
      if (expired > 0)
        deps.logger.info(
          { event: 'card_holds_expired', expired, olderThan: olderThan.toISOString() },
          `released ${expired} authorisation holds not cleared within ${deps.expiryDays} days`,
        );
      return { expired, parkedReversalsRemoved };
    },
  };
}

/** Sweeps every `everyMs` until stopped; a failed sweep (the database away) is logged and tried again next time. */
export function startHoldExpiry(deps: Parameters<typeof holdExpiry>[0] & { everyMs: number }): HoldExpiry {
  const expiry = holdExpiry(deps);
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = expiry
      .sweep()
      .catch((error: unknown) => deps.logger.warn({ err: error }, 'authorisation hold expiry sweep failed; trying again at the next one'));
  }, deps.everyMs);
  timer.unref();
  return {
    sweep: expiry.sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
