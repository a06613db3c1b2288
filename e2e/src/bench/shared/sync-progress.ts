import { Client } from 'pg';
import { pollUntil } from './bench-stack';
import { summariseLatencies, type LatencySummary } from './latency-stats';

// How far stand-in is behind primary, for the bench's own accounts only (other runs' and other
// engineers' events share the topic and stand-in's database): primary's outbox says what was
// produced, stand-in's synced_events what has arrived, with each event's primary time
// (occurred_at) and stand-in's insert time (synced_at, clock_timestamp() inside the syncer's
// transaction, a few milliseconds before its commit). Both clocks are this machine's.

export interface SyncDatabases {
  /** Primary's database: its outbox. */
  readonly primary: string;
  /** Stand-in's database: its synced_events. */
  readonly standin: string;
}

export interface SyncProbe {
  /** Events for the accounts in primary's outbox and in stand-in's synced_events. */
  counts(): Promise<{ primary: number; standin: number }>;
  /** Waits until stand-in holds every event primary has for the accounts, or `timeoutMs` passes. */
  waitForCatchUp(timeoutMs: number): Promise<CatchUp>;
  /** Lag of every event of the accounts whose primary time falls in [from, to). */
  lagOfWindow(from: Date, to: Date, sliceMs: number): Promise<WindowLag>;
  /** Stand-in's advices for the accounts (how many, how many not yet relayed to Pub/Sub) and how many of them primary has applied, with when. */
  adviceProgress(): Promise<AdviceProgress>;
  close(): Promise<void>;
}

export interface AdviceProgress {
  /** Advices stand-in has made for the accounts. */
  readonly standin: number;
  /** Of those, not yet published to Pub/Sub by stand-in's relay. */
  readonly unpublished: number;
  readonly appliedInPrimary: number;
  /** Primary's `applied_at` of the first and last advice it applied for the accounts (its clock: this machine's). */
  readonly firstAppliedAt: Date | null;
  readonly lastAppliedAt: Date | null;
}

export interface CatchUp {
  readonly caughtUp: boolean;
  readonly waitedMs: number;
  readonly primaryEvents: number;
  readonly syncedEvents: number;
}

export interface LagSlice {
  /** Seconds from the window's start to the slice's start (by primary's event time). */
  readonly fromSecond: number;
  readonly events: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface WindowLag {
  /** Events primary produced for the accounts in the window. */
  readonly producedInPrimary: number;
  /** Of those, in stand-in when measured: one exact lag sample each. */
  readonly synced: number;
  /** Produced but not in stand-in when measured: their lag is unknown and at least `missingLagAtLeastMs`. */
  readonly missing: number;
  readonly missingLagAtLeastMs: number | null;
  readonly lagMs: LatencySummary;
  /** The lag over the window, slice by slice: a lag that grows through the window is a backlog building up. */
  readonly bySlice: readonly LagSlice[];
  readonly byType: Readonly<Record<string, number>>;
}

export async function openSyncProbe(databases: SyncDatabases, accountIds: readonly string[]): Promise<SyncProbe> {
  const primary = new Client({ connectionString: databases.primary });
  const standin = new Client({ connectionString: databases.standin });
  await primary.connect();
  try {
    await standin.connect();
  } catch (error) {
    await primary.end();
    throw error;
  }
  const ids = [...accountIds];

  const counts = async () => {
    const [produced, synced] = await Promise.all([
      primary.query<{ n: string }>('select count(*) as n from outbox_events where account_id = any($1::uuid[])', [ids]),
      standin.query<{ n: string }>('select count(*) as n from synced_events where account_id = any($1::uuid[])', [ids]),
    ]);
    return { primary: Number(produced.rows[0]?.n ?? 0), standin: Number(synced.rows[0]?.n ?? 0) };
  };

  return {
    counts,
    async waitForCatchUp(timeoutMs) {
      let last = { primary: 0, standin: 0 };
      const { done, waitedMs } = await pollUntil(async () => {
        last = await counts();
        return last.standin >= last.primary;
      }, timeoutMs);
      return { caughtUp: done, waitedMs, primaryEvents: last.primary, syncedEvents: last.standin };
    },
    async lagOfWindow(from, to, sliceMs) {
      const measuredAt = new Date();
      const [produced, synced] = await Promise.all([
        primary.query<{ n: string }>(
          `select count(*) as n from outbox_events
            where account_id = any($1::uuid[]) and (event->>'occurredAt')::timestamptz >= $2 and (event->>'occurredAt')::timestamptz < $3`,
          [ids, from, to],
        ),
        standin.query<{ account_id: string; sequence: number; lag_ms: string; since_start_ms: string; type: string }>(
          `select account_id, sequence, type,
                  extract(epoch from (synced_at - occurred_at)) * 1000 as lag_ms,
                  extract(epoch from (occurred_at - $2::timestamptz)) * 1000 as since_start_ms
             from synced_events
            where account_id = any($1::uuid[]) and occurred_at >= $2 and occurred_at < $3`,
          [ids, from, to],
        ),
      ]);
      const samples = synced.rows.map((row) => ({ lagMs: Number(row.lag_ms), sinceStartMs: Number(row.since_start_ms), type: row.type }));
      const producedCount = Number(produced.rows[0]?.n ?? 0);
      let missingCount = 0;
      let oldestMissing: number | null = null;
      if (samples.length < producedCount) {
        // Which ones are not there yet: the oldest of them (by primary's time) puts a floor under their unknown lags.
        const have = new Set(synced.rows.map((row) => `${row.account_id}/${row.sequence}`));
        const all = await primary.query<{ account_id: string; sequence: number; occurred_at: Date }>(
          `select account_id, sequence, (event->>'occurredAt')::timestamptz as occurred_at from outbox_events
            where account_id = any($1::uuid[]) and (event->>'occurredAt')::timestamptz >= $2 and (event->>'occurredAt')::timestamptz < $3`,
          [ids, from, to],
        );
        for (const row of all.rows) {
          if (have.has(`${row.account_id}/${row.sequence}`)) continue;
          missingCount++;
          const at = row.occurred_at.getTime();
          if (oldestMissing === null || at < oldestMissing) oldestMissing = at;
        }
      }
      const slices = new Map<number, number[]>();
      const byType: Record<string, number> = {};
      for (const sample of samples) {
        const slice = Math.floor(sample.sinceStartMs / sliceMs);
        const lags = slices.get(slice);
        if (lags) lags.push(sample.lagMs);
        else slices.set(slice, [sample.lagMs]);
        byType[sample.type] = (byType[sample.type] ?? 0) + 1;
      }
      const bySlice = [...slices.entries()]
        .sort(([a], [b]) => a - b)
        .map(([slice, lags]) => {
          const summary = summariseLatencies(lags);
          return { fromSecond: (slice * sliceMs) / 1000, events: summary.count, p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, maxMs: summary.maxMs };
        });
      return {
        producedInPrimary: producedCount,
        synced: samples.length,
        missing: missingCount,
        missingLagAtLeastMs: oldestMissing === null ? null : measuredAt.getTime() - oldestMissing,
        lagMs: summariseLatencies(samples.map((sample) => sample.lagMs)),
        bySlice,
        byType,
      };
    },
    async adviceProgress() {
      const [made, applied] = await Promise.all([
        standin.query<{ n: string; unpublished: string }>(
          'select count(*) as n, count(*) filter (where published_at is null) as unpublished from advices where account_id = any($1::uuid[])',
          [ids],
        ),
        primary.query<{ n: string; first: Date | null; last: Date | null }>(
          'select count(*) as n, min(applied_at) as first, max(applied_at) as last from applied_advices where account_id = any($1::uuid[])',
          [ids],
        ),
      ]);
      return {
        standin: Number(made.rows[0]?.n ?? 0),
        unpublished: Number(made.rows[0]?.unpublished ?? 0),
        appliedInPrimary: Number(applied.rows[0]?.n ?? 0),
        firstAppliedAt: applied.rows[0]?.first ?? null,
        lastAppliedAt: applied.rows[0]?.last ?? null,
      };
    },
    async close() {
      await Promise.allSettled([primary.end(), standin.end()]);
    },
  };
}
