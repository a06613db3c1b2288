import type { Database } from '../store/database';

// What a customer holds, as primary last told stand-in: each account's newest synced version.

export interface SyncedAccountRow {
  readonly account_id: string;
  readonly customer_id: string;
  readonly holder_name: string;
  readonly sort_code: string;
  readonly account_number: string;
  readonly status: string;
}

/**
 * The customer's accounts: every account any synced version of which names them, kept only where
 * the newest version still does (the same rule as one account's lookup, accountOfCustomer), in the
 * order they were opened (their first synced event), then by id.
 */
export async function accountsOfCustomer(database: Database, customerId: string): Promise<SyncedAccountRow[]> {
  const { rows } = await database.query<SyncedAccountRow>(
    `with newest as (
       select distinct on (account_id) account_id, customer_id, holder_name, sort_code, account_number, status
       from synced_accounts
       where account_id in (select account_id from synced_accounts where customer_id = $1)
       order by account_id, sequence desc
     )
     select newest.* from newest
     left join lateral (select occurred_at from synced_events e where e.account_id = newest.account_id order by sequence limit 1) opened on true
     where newest.customer_id = $1
     order by opened.occurred_at nulls last, newest.account_id`,
    [customerId],
  );
  return rows;
}
