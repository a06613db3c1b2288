import type { Logger } from 'pino';
import type { Database } from '@bank/standin';
import type { SyncerMetrics } from './metrics';

// Sync lag: for every event, how long after primary committed it (occurredAt) it became
// visible in stand-in (our commit). Only events actually applied count: a redelivered or
// replayed event says nothing about how current stand-in is, and no events at all (idle)
// is not lag either.
//
// But no events can also mean Kafka is unreachable, and then nothing measured ever crosses the
// appetite while stand-in falls behind. So the consumer also says whenever it hears from Kafka
// (an answered fetch, idle ones included, or an applied batch); silence longer than the appetite
// raises the same alert, with the silence as the lag stand-in may have: an engineer about to send
// users to stand-in must know its data may be stale before the backlog arrives, not after.

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
  /** The consumer heard from Kafka: a fetch answered (even empty) or a batch applied. */
  heard(at: Date): Promise<void>;
  /** Raises (or keeps up) the alert when Kafka has been silent longer than the appetite; call it every second or so. */
  checkSilence(now: Date): Promise<void>;
  /** Measured lag above the appetite, or Kafka silent longer than it. */
  readonly alerting: boolean;
  readonly last: LagMeasurement | undefined;
  /** How long Kafka has been silent, while that is longer than the appetite. */
  readonly silentForMs: number | undefined;
}

/**
 * An idle consumer hears from Kafka about once a second (its fetch wait): silence shorter than
 * a few of those is normal, whatever the appetite.
 */
export const MIN_SILENCE_ALERT_MS = 3_000;

/** While lag stays above the appetite, repeat the error at most this often: it is an incident, not a log flood. */
const REPEAT_ALERT_EVERY_MS = 30_000;
/** How often the syncer tells stand-in it still hears Kafka (sync_lag.heard_at). */
export const HEARTBEAT_EVERY_MS = 1_000;
/** sync_lag.lag_ms is an integer column. */
const MAX_LAG_MS = 2_147_483_647;

export function createLagRecorder(deps: { database: Database; metrics: SyncerMetrics; logger: Logger; appetiteMs: number; startedAt?: Date }): LagRecorder {
  let alerting = false;
  let lastAlertLoggedAt = 0;
  let last: LagMeasurement | undefined;
  const silenceAlertMs = Math.max(deps.appetiteMs, MIN_SILENCE_ALERT_MS);
  // A syncer that never reaches Kafka after starting is as cut off as one that lost it.
  let lastHeardAt = (deps.startedAt ?? new Date()).getTime();
  let silentForMs: number | undefined;
  let lastSilenceLoggedAt = 0;
  let lastHeartbeatAt = 0;
  /** Whether this process has told stand-in what it knows since it last heard Kafka. */
  let statusCurrent = false;
  // One sync_lag write at a time, in the order decided: a clear must not land before the alert it clears.
  let writes: Promise<unknown> = Promise.resolve();
  const serially = (write: () => Promise<unknown>, what: string): Promise<void> => {
    const next = writes.then(write).then(
      () => undefined,
      (error: unknown) => deps.logger.warn({ err: error }, `could not write ${what} to sync_lag; the next write will`),
    );
    writes = next;
    return next;
  };

  const publishAlerting = () => deps.metrics.lagAlerting.set(alerting || silentForMs !== undefined ? 1 : 0);

  const writeSilence = (lagMs: number) =>
    serially(
      () =>
        deps.database.query(
          `insert into sync_lag (singleton, last_event_at, last_applied_at, lag_ms, alerting) values (true, $1, $1, $2, true)
           on conflict (singleton) do update set lag_ms = greatest(excluded.lag_ms, sync_lag.lag_ms), alerting = true`,
          [new Date(lastHeardAt), Math.min(MAX_LAG_MS, lagMs)],
        ),
      'the silence alert',
    );

  return {
    get alerting() {
      return alerting || silentForMs !== undefined;
    },
    get last() {
      return last;
    },
    get silentForMs() {
      return silentForMs;
    },
    async heard(at) {
      const silence = at.getTime() - lastHeardAt;
      lastHeardAt = Math.max(lastHeardAt, at.getTime());
      // Stand-in's proof that this syncer is alive and hearing Kafka: at most once a second.
      if (at.getTime() - lastHeartbeatAt >= HEARTBEAT_EVERY_MS) {
        lastHeartbeatAt = at.getTime();
        await serially(
          () =>
            deps.database.query(
              `insert into sync_lag (singleton, last_event_at, last_applied_at, lag_ms, alerting, heard_at, appetite_ms) values (true, $1, $1, 0, false, $1, $2)
               on conflict (singleton) do update set heard_at = greatest(sync_lag.heard_at, excluded.heard_at), appetite_ms = excluded.appetite_ms`,
              [at, silenceAlertMs],
            ),
          'the heartbeat',
        );
      }
      const wasSilent = silentForMs !== undefined;
      if (!wasSilent && statusCurrent) return;
      if (wasSilent) deps.logger.info({ silentForMs: silence }, 'hearing from Kafka again; the lag of what arrives now says how far behind stand-in is');
      silentForMs = undefined;
      statusCurrent = true;
      publishAlerting();
      // From now stand-in's status is this process's own measurement (none yet: nothing arrived
      // late), not what a silence, or an earlier process, left in the row. A backlog's own lag
      // raises it again in the next batch if it is old.
      await serially(() => deps.database.query('update sync_lag set lag_ms = $1, alerting = $2', [last?.lagMs ?? 0, alerting]), 'the current lag');
    },
    async checkSilence(now) {
      const silence = now.getTime() - lastHeardAt;
      if (silence <= silenceAlertMs) return;
      if (silentForMs === undefined || now.getTime() - lastSilenceLoggedAt >= REPEAT_ALERT_EVERY_MS) {
        deps.logger.error(
          { silentForMs: silence, appetiteMs: silenceAlertMs },
          `nothing heard from Kafka for ${silence} ms (appetite ${silenceAlertMs} ms): stand-in may be missing primary's latest changes`,
        );
        lastSilenceLoggedAt = now.getTime();
      }
      silentForMs = silence;
      publishAlerting();
      await writeSilence(silence);
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
        deps.logger.error(
          { lagMs: worstMs, appetiteMs: deps.appetiteMs },
          `sync lag ${worstMs} ms is above the appetite of ${deps.appetiteMs} ms: stand-in's data is behind primary`,
        );
        lastAlertLoggedAt = visibleAt.getTime();
      } else if (!above && alerting) {
        deps.logger.info({ lagMs: worstMs, appetiteMs: deps.appetiteMs }, `sync lag back under the appetite (${worstMs} ms)`);
      }
      alerting = above;
      publishAlerting();
      last = { lagMs: Math.round(worstMs), lastEventAt: new Date(newest), appliedAt: visibleAt, alerting: above };

      const measured = last;
      // The events are applied and their offsets committed; a missed measurement is only that.
      await serially(
        () =>
          deps.database.query(
            `insert into sync_lag (singleton, last_event_at, last_applied_at, lag_ms, alerting) values (true, $1, $2, $3, $4)
             on conflict (singleton) do update set last_event_at = excluded.last_event_at, last_applied_at = excluded.last_applied_at, lag_ms = excluded.lag_ms, alerting = excluded.alerting`,
            [measured.lastEventAt, measured.appliedAt, measured.lagMs, measured.alerting],
          ),
        'the measured lag',
      );
      return last;
    },
  };
}
