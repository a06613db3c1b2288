import { Client } from 'pg';

// Primary's applied advices of the run's accounts, per type: how many, and how fast, from the
// first of the type applied to the last (the types drain together, so each type's span is about
// the whole drain; the figure shows no type is left behind).

export type AppliedByType = Readonly<Record<string, { readonly advices: number; readonly perSecond: number | null }>>;

export async function appliedByType(primaryDatabase: string, accountIds: readonly string[]): Promise<AppliedByType> {
  const client = new Client({ connectionString: primaryDatabase });
  await client.connect();
  try {
    const { rows } = await client.query<{ type: string; advices: string; span_ms: number | null }>(
      `select type, count(*) as advices, extract(epoch from max(applied_at) - min(applied_at)) * 1000 as span_ms
       from applied_advices where account_id = any($1::uuid[]) group by type order by type`,
      [[...accountIds]],
    );
    return Object.fromEntries(
      rows.map((row) => {
        const advices = Number(row.advices);
        const spanMs = Number(row.span_ms ?? 0);
        return [row.type, { advices, perSecond: spanMs > 0 ? Math.round((advices / spanMs) * 1000 * 10) / 10 : null }];
      }),
    );
  } finally {
    await client.end();
  }
}
