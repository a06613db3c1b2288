import type { Migration } from '../platform/migrations';

export const payeesMigrations: Migration[] = [
  {
    id: 'payees/001-payees',
    sql: `
      create table payees (
        id uuid primary key,
        account_id uuid not null,
        name text not null,
        sort_code char(6) not null,
        account_number char(8) not null,
        removed_at timestamptz,
        created_at timestamptz not null
      );
      create index payees_by_account on payees (account_id) where removed_at is null;
    `,
  },
];
