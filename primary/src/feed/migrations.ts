import type { Migration } from '../platform/migrations';

export const feedMigrations: Migration[] = [
  {
    id: 'feed/001-transactions',
    sql: `
      create table transactions (
        id uuid primary key,
        -- cursor for pagination: newest first is descending position
        position bigserial unique,
        account_id uuid not null,
        kind text not null,
        status text not null check (status in ('pending', 'settled', 'declined', 'reversed')),
        amount_minor bigint not null,
        currency char(3) not null,
        description text not null,
        merchant jsonb,
        counterparty jsonb,
        card_id uuid,
        correlation_id uuid,
        created_at timestamptz not null
      );
      create index transactions_feed on transactions (account_id, position desc);
    `,
  },
];

feedMigrations.push({
  id: 'feed/002-faster-payment-ids',
  sql: `
    -- The scheme's id of a Faster Payment, carried to stand-in so that a payment the scheme
    -- re-presents there after primary credited it is recognised, not credited again.
    alter table transactions add column fps_id text;
  `,
});
