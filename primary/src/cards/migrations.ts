import type { Migration } from '../platform/migrations';

export const cardsMigrations: Migration[] = [
  {
    id: 'cards/001-cards',
    sql: `
      create table cards (
        id uuid primary key,
        account_id uuid not null,
        -- the PAN only ever encrypted (keyset A), plus a keyed hash to find a card by PAN
        pan_encrypted jsonb not null,
        pan_index bytea not null unique,
        last4 char(4) not null,
        expiry char(4) not null,
        status text not null check (status in ('active', 'frozen', 'cancelled')),
        daily_cash_limit_minor bigint not null check (daily_cash_limit_minor >= 0),
        created_at timestamptz not null
      );
      create index cards_by_account on cards (account_id);
    `,
  },
];
