import type { Pool } from 'pg';
import type { PanFinder } from './pan-finder';

// Every text, character, JSON and byte column of every table in a database, searched for any of
// the PANs in PostgreSQL itself (one query per column): where a PAN sits in plaintext, by table,
// column and row count.

export async function panInDatabase(db: Pool, finder: PanFinder): Promise<{ columns: number; hits: { table: string; column: string; rows: number }[] }> {
  const { rows: columns } = await db.query<{ table_name: string; column_name: string; data_type: string }>(
    `select c.table_name, c.column_name, c.data_type from information_schema.columns c
     join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
     where c.table_schema = 'public' and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
     order by c.table_name, c.column_name`,
  );
  const hits: { table: string; column: string; rows: number }[] = [];
  for (const column of columns) {
    const quoted = `"${column.column_name.replace(/"/g, '""')}"`;
    const value = column.data_type === 'bytea' ? `encode(${quoted}, 'escape')` : `${quoted}::text`;
    const { rows } = await db.query<{ rows: string }>(`select count(*) as rows from "${column.table_name.replace(/"/g, '""')}" where ${value} ~ $1`, [
      finder.sqlPattern,
    ]);
    const count = Number(rows[0]?.rows ?? 0);
    if (count > 0) hits.push({ table: column.table_name, column: column.column_name, rows: count });
  }
  return { columns: columns.length, hits };
}
