import type { Migration } from '../platform/migrations';

export const potsMigrations: Migration[] = [
  {
    id: 'pots/001-pots',
    sql: `
      create table pots (
        id uuid primary key,
        account_id uuid not null,
        name text not null,
        status text not null check (status in ('active', 'closed')),
        created_at timestamptz not null
      );
      create index pots_by_account on pots (account_id);
    `,
  },
];
