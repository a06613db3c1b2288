// Percentiles from every sample, sorted: averaging per-interval percentiles would hide the tail.

export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentile of sorted samples (p in 0..1). */
function nearestRank(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

export function summariseLatencies(samplesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    minMs: round(sorted[0] ?? Number.NaN),
    meanMs: round(sorted.length > 0 ? sum / sorted.length : Number.NaN),
    p50Ms: round(nearestRank(sorted, 0.5)),
    p90Ms: round(nearestRank(sorted, 0.9)),
    p99Ms: round(nearestRank(sorted, 0.99)),
    p999Ms: round(nearestRank(sorted, 0.999)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}
