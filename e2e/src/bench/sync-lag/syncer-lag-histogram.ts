// The syncer's own lag histogram (`syncer_lag_seconds` at /metrics), read before and after a
// phase: a cross-check on the exact per-event lags from stand-in's database. It counts every
// event the syncer applied in between (anyone's, not only the bench's, and whenever they were
// produced), and its resolution is its buckets, so it only bounds the percentiles.

export interface HistogramSnapshot {
  /** Cumulative counts by upper bound in seconds (+Inf included). */
  readonly buckets: ReadonlyMap<number, number>;
  readonly count: number;
  readonly sumSeconds: number;
}

export interface HistogramDelta {
  readonly events: number;
  readonly meanMs: number | null;
  /** Share of the events whose lag was at most `targetSeconds` (a bucket bound). */
  readonly withinTargetShare: number | null;
  readonly targetSeconds: number;
  /** The smallest bucket bound at or under which 99 % of the events fall: p99 is at most this (null: no events, or beyond the last finite bucket). */
  readonly p99AtMostMs: number | null;
}

const METRIC = 'syncer_lag_seconds';

export async function readSyncerLagHistogram(syncerUrl: string): Promise<HistogramSnapshot> {
  const response = await fetch(`${syncerUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`syncer /metrics answered ${response.status}`);
  const text = await response.text();
  const buckets = new Map<number, number>();
  let count = 0;
  let sumSeconds = 0;
  for (const line of text.split('\n')) {
    const bucket = new RegExp(`^${METRIC}_bucket\\{le="([^"]+)"\\} (\\S+)$`).exec(line);
    if (bucket) buckets.set(bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1]), Number(bucket[2]));
    else if (line.startsWith(`${METRIC}_count `)) count = Number(line.slice(METRIC.length + 7));
    else if (line.startsWith(`${METRIC}_sum `)) sumSeconds = Number(line.slice(METRIC.length + 5));
  }
  if (buckets.size === 0) throw new Error(`syncer /metrics has no ${METRIC} histogram`);
  return { buckets, count, sumSeconds };
}

export function histogramDelta(before: HistogramSnapshot, after: HistogramSnapshot, targetSeconds: number): HistogramDelta {
  const events = after.count - before.count;
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  const cumulative = (bound: number) => (after.buckets.get(bound) ?? 0) - (before.buckets.get(bound) ?? 0);
  const p99Bound = events > 0 ? bounds.find((bound) => cumulative(bound) >= 0.99 * events) : undefined;
  return {
    events,
    meanMs: events > 0 ? Math.round(((after.sumSeconds - before.sumSeconds) / events) * 1000 * 10) / 10 : null,
    withinTargetShare: events > 0 && after.buckets.has(targetSeconds) ? Math.round((cumulative(targetSeconds) / events) * 10_000) / 10_000 : null,
    targetSeconds,
    p99AtMostMs: p99Bound === undefined ? null : Number.isFinite(p99Bound) ? p99Bound * 1000 : null,
  };
}
