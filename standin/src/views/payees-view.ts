import type { Database } from '../store/database';

// An account's payees as primary's payee.added and payee.removed events synced them: the newest
// version of each, the removed ones left out, in the order they were added. The fields are
// primary's `GET /accounts/:id/payees` ones, so the app reads either platform's answer the same way.

export interface PayeeView {
  readonly id: string;
  readonly name: string;
  readonly sortCode: string;
  readonly accountNumber: string;
}

export async function payeesOfAccount(database: Database, accountId: string): Promise<PayeeView[]> {
  const { rows } = await database.query<{ payee_id: string; name: string; sort_code: string; account_number: string }>(
    `select payee_id, name, sort_code, account_number from (
       select distinct on (payee_id) payee_id, name, sort_code, account_number, removed,
              min(sequence) over (partition by payee_id) as added_sequence
       from synced_payees where account_id = $1
       order by payee_id, sequence desc
     ) newest
     where not removed and name is not null
     order by added_sequence, payee_id`,
    [accountId],
  );
  return rows.map((row) => ({ id: row.payee_id, name: row.name, sortCode: row.sort_code, accountNumber: row.account_number }));
}
