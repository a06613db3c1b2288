import type { Logger } from 'pino';
import type { AdvicesInFlight, AdvicesInFlightReport, UserAdvicesInFlight } from '@bank/shared-contracts';
import type { Database } from '../store/database';

// Which of stand-in's effects primary has not applied yet: what an engineer must know before
// moving users back to primary (a freeze primary has not applied is a card primary still pays on).
//
// Stand-in learns that primary applied an advice the way its balance view does: primary announces
// every advice it applies with an event carrying the advice's correlation id, on the advice's
// account, in the same transaction (a freeze's card.status_changed carries none, so primary then
// announces the balance under it). Once such an event has synced back, the advice is applied.
// This needs nothing from primary at the moment of asking, so it works with primary down; while
// the sync lags it can only overcount, never undercount. Correlation ids are fresh per advice.
//
// An advice is in flight until then, published or not (the advice consumer's re-drive can apply an
// advice stand-in has not yet marked published). `applied_seen_at` records, once, that it came
// back, so the set to examine stays the advices in flight rather than every advice ever made; the
// figures themselves re-check the synced events at the time of asking, so they are exact even
// before the sweep has marked anything.

export interface InFlightSettings {
  /** How often the sweep marks advices whose correlation id has come back, while it finds some. */
  readonly sweepIntervalMs: number;
  /**
   * A pass that finds nothing doubles the wait, up to this: with primary down every pass examines
   * every advice in flight and finds none back, so a long outage costs a pass every few seconds.
   */
  readonly sweepMaxIntervalMs: number;
  /** At most this many advices marked per pass. */
  readonly sweepBatch: number;
}

const SETTINGS: InFlightSettings = { sweepIntervalMs: 1_000, sweepMaxIntervalMs: 10_000, sweepBatch: 5_000 };

/** Marks advices whose correlation id has come back from primary; never waits for a row another session holds. */
export async function markAppliedAdvices(database: Database, batch = SETTINGS.sweepBatch): Promise<number> {
  const { rowCount } = await database.query(
    `with seen as (
       select a.advice_id from advices a
       where a.applied_seen_at is null
         and exists (select 1 from synced_events e where e.account_id = a.account_id and e.correlation_id = a.correlation_id)
       limit $1
       for update of a skip locked
     )
     update advices set applied_seen_at = clock_timestamp() from seen where advices.advice_id = seen.advice_id`,
    [batch],
  );
  return rowCount ?? 0;
}

interface Row {
  user_id: string | null;
  not_published: string;
  published: string;
  oldest: Date;
}

/** Every advice in flight, per user (primary's customer id), oldest first. */
async function inFlightRows(database: Database): Promise<Row[]> {
  const { rows } = await database.query<Row>(
    `select owner.customer_id as user_id,
            count(*) filter (where a.published_at is null) as not_published,
            count(*) filter (where a.published_at is not null) as published,
            min(a.created_at) as oldest
     from advices a
     left join lateral (select customer_id from synced_accounts s where s.account_id = a.account_id order by s.sequence desc limit 1) owner on true
     where a.applied_seen_at is null
       and not exists (select 1 from synced_events e where e.account_id = a.account_id and e.correlation_id = a.correlation_id)
     group by owner.customer_id
     order by oldest`,
  );
  return rows;
}

function totals(rows: readonly Row[], now: Date): AdvicesInFlight {
  const oldest = rows.reduce<Date | undefined>((found, row) => (found === undefined || row.oldest < found ? row.oldest : found), undefined);
  return {
    notPublished: rows.reduce((sum, row) => sum + Number(row.not_published), 0),
    publishedNotApplied: rows.reduce((sum, row) => sum + Number(row.published), 0),
    // An advice's account is always one stand-in has synced; a row without a user would still be counted above.
    users: rows.filter((row) => row.user_id !== null).length,
    ...(oldest ? { oldestAt: oldest.toISOString(), oldestAgeMs: Math.max(0, now.getTime() - oldest.getTime()) } : {}),
  };
}

/** Fresh figures per user: what the CLI checks a change against. */
export async function advicesInFlightReport(database: Database, now: Date): Promise<AdvicesInFlightReport> {
  const rows = await inFlightRows(database);
  const byUser: UserAdvicesInFlight[] = rows
    .filter((row): row is Row & { user_id: string } => row.user_id !== null)
    .map((row) => ({
      userId: row.user_id,
      notPublished: Number(row.not_published),
      publishedNotApplied: Number(row.published),
      oldestAt: row.oldest.toISOString(),
    }));
  return { checkedAt: now.toISOString(), total: totals(rows, now), byUser };
}

/**
 * The totals for GET /status, which every app polls: computed at most once per `maxAgeMs` per
 * process (callers within that share the answer), so polling apps cost one query a second.
 */
export function inFlightTotals(database: Database, now: () => Date, maxAgeMs = 1_000): () => Promise<AdvicesInFlight> {
  let cached: { at: number; figures: Promise<AdvicesInFlight> } | undefined;
  return () => {
    const at = Date.now();
    if (cached && at - cached.at < maxAgeMs) return cached.figures;
    const figures = inFlightRows(database).then((rows) => totals(rows, now()));
    cached = { at, figures };
    // A failed read is not kept: the next caller asks again.
    figures.catch(() => {
      if (cached?.figures === figures) cached = undefined;
    });
    return figures;
  };
}

/** The sweep loop: keeps the advices to examine down to those in flight. */
export function startAppliedAdviceSweep(deps: { database: Database; logger: Logger }, overrides: Partial<InFlightSettings> = {}) {
  const settings = { ...SETTINGS, ...overrides };
  let running = true;
  let failing = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    let intervalMs = settings.sweepIntervalMs;
    while (running) {
      try {
        const marked = await markAppliedAdvices(deps.database, settings.sweepBatch);
        if (failing) deps.logger.info('marking applied advices works again');
        failing = false;
        // A full batch: more are waiting, go again at once.
        if (marked === settings.sweepBatch) continue;
        intervalMs = marked > 0 ? settings.sweepIntervalMs : Math.min(intervalMs * 2, settings.sweepMaxIntervalMs);
      } catch (error) {
        if (!failing) deps.logger.warn({ err: error }, 'marking applied advices failed; the in-flight figures stay exact, only slower to compute');
        failing = true;
        intervalMs = settings.sweepMaxIntervalMs;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
