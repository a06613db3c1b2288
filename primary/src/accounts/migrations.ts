import type { Migration } from '../platform/migrations';

export const accountsMigrations: Migration[] = [
  {
    id: 'accounts/001-customers-accounts',
    sql: `
      create table customers (
        id uuid primary key,
        name text not null,
        created_at timestamptz not null
      );
      create table customer_tokens (
        -- sha-256 of the bearer token: a database leak does not leak usable tokens
        token_sha256 bytea primary key,
        customer_id uuid not null references customers (id)
      );
      create table accounts (
        id uuid primary key,
        customer_id uuid not null references customers (id),
        sort_code char(6) not null,
        account_number char(8) not null,
        holder_name text not null,
        status text not null check (status in ('open', 'restricted', 'closed')),
        created_at timestamptz not null,
        unique (sort_code, account_number)
      );
      create index accounts_by_customer on accounts (customer_id);
    `,
  },
];
