import type { Database } from '../store/database';

export interface MergedTransaction {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly amountMinor: number;
  readonly description: string;
  readonly correlationId?: string;
  readonly createdAt: string;
  /** Where this line comes from: primary (synced) or stand-in's own, not yet seen back from primary. */
  readonly source: 'primary' | 'standin';
}

/**
 * Recent transactions as the customer should see them: the newest version of each synced
 * transaction, plus stand-in's own that have no synced twin (same correlation id) yet. A
 * payment is listed once, whichever side it is currently known from.
 */
export async function recentTransactions(database: Database, accountId: string, limit: number): Promise<MergedTransaction[]> {
  const { rows } = await database.query<{
    id: string;
    kind: string;
    status: string;
    amount_minor: string;
    description: string;
    correlation_id: string | null;
    created_at: Date;
    source: 'primary' | 'standin';
  }>(
    `with synced as (
       select distinct on (transaction_id) transaction_id::text as id, kind, status, amount_minor, description, correlation_id, created_at
       from synced_transactions where account_id = $1 order by transaction_id, sequence desc
     )
     select id, kind, status, amount_minor, description, correlation_id, created_at, 'primary' as source from synced
     union all
     select correlation_id::text, kind, status, amount_minor, description, correlation_id, created_at, 'standin'
     from own_transactions own
     where own.account_id = $1 and not exists (select 1 from synced where synced.correlation_id = own.correlation_id)
     order by created_at desc
     limit $2`,
    [accountId, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    status: row.status,
    amountMinor: Number(row.amount_minor),
    description: row.description,
    ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
    createdAt: row.created_at.toISOString(),
    source: row.source,
  }));
}
