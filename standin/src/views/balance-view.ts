import type { Session, Database } from '../store/database';
import { currentSyncState } from './sync-state';

// How much money stand-in believes an account has. It starts from the newest balance primary
// told us about and adjusts it by what stand-in itself did that primary has not yet reflected.
//
// "Reflected" is decided by correlation id: when primary applies stand-in's advice, the same
// primary transaction emits balance.changed and transaction.recorded carrying the advice's
// correlation id. Once a synced event with that correlation id is at or below the sequence of
// the balance we start from, that balance already contains the effect, and counting our own
// record as well would count it twice.
//
// A pending outbound Faster Payment counts from the moment it is reserved, before the scheme has
// answered; one the scheme rejected ('rejected') never reaches primary and counts no more.

export interface StandinBalance {
  /** The synced starting point (settled − held), and the primary sequence it is as of. */
  readonly syncedMinor: number;
  readonly syncedAsOfSequence: number;
  /** Stand-in's own effects not yet in that balance: debits negative, credits positive. */
  readonly unreflectedMinor: number;
  readonly overdraftLimitMinor: number;
  /** What stand-in lets the customer spend: synced + unreflected + overdraft limit. */
  readonly spendableMinor: number;
}

export async function standinBalance(db: Session | Database, accountId: string): Promise<StandinBalance | undefined> {
  const { rows } = await db.query<{ settled_minor: string; held_minor: string; overdraft_limit_minor: string; sequence: number; unreflected: string }>(
    `with latest as (
       select settled_minor, held_minor, overdraft_limit_minor, sequence
       from synced_balances where account_id = $1 order by sequence desc limit 1
     )
     select latest.*, coalesce((
       select sum(own.amount_minor) from own_transactions own
       where own.account_id = $1 and own.status not in ('reversed', 'rejected')
         and not exists (
           select 1 from synced_events seen
           where seen.account_id = $1 and seen.correlation_id = own.correlation_id and seen.sequence <= latest.sequence
         )
     ), 0) as unreflected
     from latest`,
    [accountId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const syncedMinor = Number(row.settled_minor) - Number(row.held_minor);
  const unreflectedMinor = Number(row.unreflected);
  const overdraftLimitMinor = Number(row.overdraft_limit_minor);
  return {
    syncedMinor,
    syncedAsOfSequence: row.sequence,
    unreflectedMinor,
    overdraftLimitMinor,
    spendableMinor: syncedMinor + unreflectedMinor + overdraftLimitMinor,
  };
}

/**
 * How current stand-in's copy of primary's data is, for the app to show next to a balance ("as of
 * 10:42"): stand-in's balance is primary's last synced one plus stand-in's own effects, so when the
 * sync lags the customer should know how old it may be.
 */
export interface SyncFreshness {
  /** Primary's state this copy reflects: now − the syncer's current lag (what stand-in has caught up to). */
  readonly asOf: string;
  /** That lag, in whole milliseconds. */
  readonly syncLagMs: number;
  /** Whether the syncer says the lag is past its appetite (an incident); false before it has said anything. */
  readonly alerting: boolean;
  /** When primary made the newest change of this account stand-in has synced (its event's occurred_at). */
  readonly lastSyncedChangeAt?: string;
}

/**
 * The syncer's lag is the bank-wide one (sync_lag, one row, written by the syncer as it applies
 * events and while Kafka is silent), so `asOf` is now − that lag, by the caller's clock (the app
 * routes' injectable one). Before the syncer has written a row there is no lag to go by, and the
 * best stand-in can say is when it last received anything for this account (its newest synced_at):
 * `asOf` is that, and `syncLagMs` its age, so `asOf` + `syncLagMs` is now either way. An account
 * with nothing synced and no lag row has no `asOf` (undefined).
 */
export async function syncFreshness(db: Session | Database, accountId: string, now: Date): Promise<SyncFreshness | undefined> {
  // The bank-wide state, read one way everywhere (sync-state.ts: the syncer's silence counts as lag).
  const [state, last] = await Promise.all([
    currentSyncState(db, now),
    db.query<{ occurred_at: Date }>('select occurred_at from synced_events where account_id = $1 order by sequence desc limit 1', [accountId]),
  ]);
  const lastChange = last.rows[0] ? { lastSyncedChangeAt: last.rows[0].occurred_at.toISOString() } : {};
  if (state) return { asOf: state.asOf.toISOString(), syncLagMs: state.lagMs, alerting: state.alerting, ...lastChange };
  // Only before the syncer's first lag row: every event of the account is read once, to find its newest arrival.
  const newest = (await db.query<{ synced_at: Date | null }>('select max(synced_at) as synced_at from synced_events where account_id = $1', [accountId]))
    .rows[0];
  if (!newest?.synced_at) return undefined;
  return {
    asOf: newest.synced_at.toISOString(),
    syncLagMs: Math.max(0, now.getTime() - newest.synced_at.getTime()),
    alerting: false,
    ...lastChange,
  };
}
