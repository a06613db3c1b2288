import type { LatencySummary } from './latency-stats';

// The messages between the benchmark runner and its load-generator process (IPC over fork).
// The load runs in its own process so that its CPU time is not the runner's, and so that a
// real client talks to primary over real sockets rather than in-process calls.

/** What the load generator needs to know about one card; it stays in memory, never in output. */
export interface BenchCard {
  readonly pan: string;
  readonly expiry: string;
}

export interface LoadTarget {
  readonly baseUrl: string;
  readonly cards: readonly BenchCard[];
  /** Upper bound on open connections to primary (keep-alive), equal to the closed-loop concurrency. */
  readonly maxSockets: number;
  readonly requestTimeoutMs: number;
  /** Random per run: keeps every (stan, rrn, terminalId) unique across runs against the same database. */
  readonly runTag: string;
  /**
   * Who the load stands in for: the gateway when it calls a platform's scheme routes (the default),
   * the payment network when it calls the gateway itself.
   */
  readonly presentAs?: 'gateway' | 'network';
}

interface PhaseCommon {
  readonly name: string;
  readonly durationMs: number;
  /** When given, answers that took longer than this (open loop: from the scheduled send time) are counted as `lateAnswers`. */
  readonly lateAfterMs?: number;
  /** Keep every request's times and outcome (`timeline`): for a phase during which something is done to the system, such as a kill. */
  readonly recordTimeline?: boolean;
}

/** One request of a phase that records its timeline. Times are epoch milliseconds (fractional), comparable with the runner's `epochNowMs()`. */
export interface TimelineEntry {
  /** When it was due to leave (open loop: its scheduled time; closed loop: when it left). */
  readonly sentAtMs: number;
  readonly answeredAtMs: number;
  /** `answered` (HTTP 200 with a response code), or the error kind (`http-504`, `timeout`, `connection-ECONNRESET`, ...). */
  readonly outcome: string;
  readonly responseCode?: string;
  readonly decidedBy?: string;
}

/** Epoch milliseconds with sub-millisecond resolution: the same clock in the runner and the load process. */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export type LoadPhase =
  | (PhaseCommon & { readonly kind: 'closed-loop'; readonly concurrency: number })
  | (PhaseCommon & { readonly kind: 'open-loop'; readonly ratePerSecond: number });

export interface PhaseResult {
  readonly name: string;
  readonly kind: LoadPhase['kind'];
  /** From the first send until the last answer (or failure) came back. */
  readonly elapsedMs: number;
  readonly sent: number;
  /** Answered with HTTP 200 and a response code: an authorisation decision was made. */
  readonly answered: number;
  readonly approved: number;
  /** Transport failures, timeouts and non-200 answers. */
  readonly errors: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly responseCodes: Readonly<Record<string, number>>;
  /** Answered requests by the platform the answer names (`decidedBy`; `unnamed` when it names none). */
  readonly decidedBy: Readonly<Record<string, number>>;
  /** Answered authorisations per second over elapsedMs. */
  readonly throughputPerSecond: number;
  /** Of answered requests. Open loop: measured from each request's scheduled send time. */
  readonly latencyMs: LatencySummary;
  readonly maxInFlight: number;
  /** Open loop only: the rate the schedule asked for. */
  readonly offeredRatePerSecond?: number;
  /** Only when the phase set `lateAfterMs`: answered, but later than that. */
  readonly lateAnswers?: { readonly afterMs: number; readonly count: number };
  /** Only when the phase set `recordTimeline`: every request, in the order answered. */
  readonly timeline?: readonly TimelineEntry[];
}

export type ToLoadWorker =
  { readonly type: 'configure'; readonly target: LoadTarget } | { readonly type: 'run'; readonly phase: LoadPhase } | { readonly type: 'exit' };

export type FromLoadWorker =
  { readonly type: 'ready' } | { readonly type: 'phase-done'; readonly result: PhaseResult } | { readonly type: 'failed'; readonly message: string };
