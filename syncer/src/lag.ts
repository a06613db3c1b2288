import type { Logger } from 'pino';
import type { Database } from '@bank/standin';
import type { SyncerMetrics } from './metrics';

// Sync lag: for every event, how long after primary committed it (occurredAt) it became
// visible in stand-in (our commit). Only events actually applied count: a redelivered or
// replayed event says nothing about how current stand-in is, and no events at all (idle)
// is not lag either.

export interface LagMeasurement {
  /** The slowest event of the batch: what the appetite is held against. */
  readonly lagMs: number;
  readonly lastEventAt: Date;
  readonly appliedAt: Date;
  readonly alerting: boolean;
}

export interface LagRecorder {
  /** Measures the events a committed batch made visible; resolves once sync_lag is written (or failed to be). */
  record(occurredAt: readonly string[], visibleAt: Date): Promise<LagMeasurement | undefined>;
  readonly alerting: boolean;
  readonly last: LagMeasurement | undefined;
}

/** While lag stays above the appetite, repeat the error at most this often: it is an incident, not a log flood. */
const REPEAT_ALERT_EVERY_MS = 30_000;
/** sync_lag.lag_ms is an integer column. */
const MAX_LAG_MS = 2_147_483_647;

export function createLagRecorder(deps: { database: Database; metrics: SyncerMetrics; logger: Logger; appetiteMs: number }): LagRecorder {
  let alerting = false;
  let lastAlertLoggedAt = 0;
  let last: LagMeasurement | undefined;

  return {
    get alerting() {
      return alerting;
    },
    get last() {
      return last;
    },
    async record(occurredAt, visibleAt) {
      if (occurredAt.length === 0) return undefined;
      let worstMs = 0;
      let newest = Number.NEGATIVE_INFINITY;
      for (const at of occurredAt) {
        const occurred = Date.parse(at);
        // Primary's clock a little ahead of ours is not negative lag.
        const lagMs = Math.min(MAX_LAG_MS, Math.max(0, visibleAt.getTime() - occurred));
        deps.metrics.lag.observe(lagMs / 1000);
        worstMs = Math.max(worstMs, lagMs);
        newest = Math.max(newest, occurred);
      }
      deps.metrics.lastLag.set(worstMs / 1000);

      const above = worstMs > deps.appetiteMs;
      if (above && (!alerting || visibleAt.getTime() - lastAlertLoggedAt >= REPEAT_ALERT_EVERY_MS)) {
        deps.logger.error({ lagMs: worstMs, appetiteMs: deps.appetiteMs }, `sync lag ${worstMs} ms is above the appetite of ${deps.appetiteMs} ms: stand-in's data is behind primary`);
        lastAlertLoggedAt = visibleAt.getTime();
      } else if (!above && alerting) {
        deps.logger.info({ lagMs: worstMs, appetiteMs: deps.appetiteMs }, `sync lag back under the appetite (${worstMs} ms)`);
      }
      alerting = above;
      deps.metrics.lagAlerting.set(above ? 1 : 0);
      last = { lagMs: Math.round(worstMs), lastEventAt: new Date(newest), appliedAt: visibleAt, alerting: above };

      try {
        await deps.database.query(
          `insert into sync_lag (singleton, last_event_at, last_applied_at, lag_ms, alerting) values (true, $1, $2, $3, $4)
           on conflict (singleton) do update set last_event_at = excluded.last_event_at, last_applied_at = excluded.last_applied_at, lag_ms = excluded.lag_ms, alerting = excluded.alerting`,
          [last.lastEventAt, last.appliedAt, last.lagMs, last.alerting],
        );
      } catch (error) {
        // The events are applied and their offsets committed; a missed measurement is only that.
        deps.logger.warn({ err: error }, 'could not write sync_lag; the next batch will');
      }
      return last;
    },
  };
}
