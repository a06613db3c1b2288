// The console snapshot as the page reads it (the app server's /console/snapshot). Declared here,
// not imported from the server, so the page's bundle carries no server code; the server's type
// is the source (app/src/server/console-snapshot.ts) and the browser test reads both.

export type Part<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

export interface Reading {
  readonly platform: 'primary' | 'standin';
  readonly url: string;
  readonly reachable: boolean;
  readonly reason?: string;
  readonly configuration?: { readonly version: number };
}

export interface ConsoleSnapshot {
  readonly checkedAt: string;
  readonly status: {
    readonly platforms: { readonly primary: Reading; readonly standin: Reading };
    readonly agree: boolean | null;
    readonly advicesInFlight: {
      readonly notPublished: number;
      readonly publishedNotApplied: number;
      readonly users: number;
      readonly oldestAgeMs?: number;
    } | null;
  };
  readonly statusRows: readonly (readonly [string, string, string])[];
  readonly statusText: string;
  readonly syncLag: { readonly lagMs: number; readonly alerting: boolean; readonly appetiteMs: number } | null;
  readonly advices: { readonly drainPerSecond: number | null; readonly consumer: Part<{ readonly taken: number }> };
  readonly gateway: Part<{
    readonly destination: 'primary' | 'standin';
    readonly cause: string;
    readonly reason: string;
    readonly since: string;
    readonly autoFailover: boolean;
    readonly primaryBreaker: string;
    readonly configuration: { readonly version: number | null; readonly reachable: boolean; readonly problem: string | null };
  }>;
  readonly shadow: Part<{
    readonly decisions: number;
    readonly agreed: number;
    readonly agreementRate?: number;
    readonly disagreements: readonly { readonly reason: string; readonly explained: boolean; readonly count: number }[];
  }>;
  readonly cohort: Part<{
    readonly day: string;
    readonly percent: number;
    readonly members: number;
    readonly customersKnown: number;
    readonly countedAt: string;
  }>;
  readonly audit: Part<{
    readonly from: 'standin' | 'primary';
    readonly entries: readonly {
      readonly version: number;
      readonly recordedAt: string;
      readonly source: string;
      readonly recordedBy: string;
      readonly document: { readonly reason: string; readonly updatedBy: string };
    }[];
  }>;
  readonly incident: Part<{ readonly incidentId: string; readonly stage: 'open' | 'closed'; readonly openedAt: string; readonly closedAt?: string } | null>;
  readonly quarantined: Part<{
    readonly count: number;
    readonly advices: readonly { readonly adviceId?: string; readonly reason?: string; readonly type?: string }[];
  }>;
}

export interface LagSample {
  readonly atMs: number;
  /** Undefined when stand-in could not say (unreachable): a gap in the chart, not a zero. */
  readonly lagMs: number | undefined;
  readonly alerting: boolean;
}

/** The chart keeps this long of history. */
export const LAG_HISTORY_MS = 10 * 60_000;

export function addLagSample(history: readonly LagSample[], sample: LagSample): LagSample[] {
  return [...history.filter((old) => sample.atMs - old.atMs <= LAG_HISTORY_MS), sample];
}
