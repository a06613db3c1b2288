import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What happened to one event read from Kafka. */
export type EventOutcome =
  /** New, and written to synced_events and its synced table. */
  | 'applied'
  /** New, of a type stand-in does not need: written to synced_events only, so sequences stay gap-free. */
  | 'recorded'
  /** Already in synced_events: a redelivery or a replay. */
  | 'duplicate'
  /** Not a valid primary event (bad JSON, header or payload): skipped, see the error log. */
  | 'invalid'
  /** Valid, but cannot be applied yet (its earlier version is missing, the PAN cannot be opened): skipped, see the error log. */
  | 'unapplicable';

export const EVENT_OUTCOMES: readonly EventOutcome[] = ['applied', 'recorded', 'duplicate', 'invalid', 'unapplicable'];

/** One registry per syncer instance (no global default registry: tests run several). */
export function createSyncerMetrics(options: { unfilledGaps?: () => Promise<number> } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncer_' });
  const unfilledGaps = options.unfilledGaps;
  const metrics = {
    registry,
    lag: new Histogram({
      name: 'syncer_lag_seconds',
      help: 'Time from primary committing an event (occurredAt) to the event being visible in stand-in',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    lastLag: new Gauge({ name: 'syncer_last_lag_seconds', help: 'Lag of the slowest event in the most recent batch', registers: [registry] }),
    lagAlerting: new Gauge({
      name: 'syncer_lag_alerting',
      help: '1 while the measured lag is above the appetite (SYNC_LAG_APPETITE_MS)',
      registers: [registry],
    }),
    events: new Counter({ name: 'syncer_events_total', help: 'Events read from primary.events, by outcome', labelNames: ['outcome'], registers: [registry] }),
    gapsDetected: new Counter({
      name: 'syncer_gaps_detected_total',
      help: 'Per-account sequence gaps this process detected (each is a sync_gaps row)',
      registers: [registry],
    }),
    unfilledGaps: new Gauge({
      name: 'syncer_unfilled_gaps',
      help: 'sync_gaps rows whose missing sequences have still not arrived',
      registers: [registry],
      async collect() {
        // A scrape must not fail because the database is away: keep the last known value.
        if (!unfilledGaps) return;
        try {
          this.set(await unfilledGaps());
        } catch {
          // keep the last value
        }
      },
    }),
    batchDuration: new Histogram({
      name: 'syncer_batch_duration_seconds',
      help: 'Time to apply one batch in one database transaction',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    consumerLive: new Gauge({
      name: 'syncer_consumer_live',
      help: '1 while the Kafka consumer runs or is restarting, 0 once it crashed for good',
      registers: [registry],
    }),
    consumerCrashes: new Counter({
      name: 'syncer_consumer_crashes_total',
      help: 'Kafka consumer crashes, by whether it restarted',
      labelNames: ['restarted'],
      registers: [registry],
    }),
  };
  for (const outcome of EVENT_OUTCOMES) metrics.events.inc({ outcome }, 0);
  metrics.gapsDetected.inc(0);
  return metrics;
}

export type SyncerMetrics = ReturnType<typeof createSyncerMetrics>;
