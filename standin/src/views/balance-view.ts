import type { Session, Database } from '../store/database';

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
