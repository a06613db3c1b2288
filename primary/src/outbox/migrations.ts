import type { Migration } from '../platform/migrations';

export const outboxMigrations: Migration[] = [
  {
    id: 'outbox/001-outbox',
    sql: `
      create table event_sequences (
        account_id uuid primary key,
        last_sequence integer not null
      );
      create table outbox_events (
        id bigserial primary key,
        event_id uuid not null unique,
        account_id uuid not null,
        sequence integer not null,
        event jsonb not null,
        created_at timestamptz not null default now(),
        published_at timestamptz,
        unique (account_id, sequence)
      );
      create index outbox_unpublished on outbox_events (id) where published_at is null;
    `,
  },
];
