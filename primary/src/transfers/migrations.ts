import type { Migration } from '../platform/migrations';

export const transfersMigrations: Migration[] = [
  {
    id: 'transfers/001-faster-payments',
    sql: `
      create table faster_payments (
        fps_id text not null,
        direction text not null check (direction in ('inbound', 'outbound')),
        account_id uuid,
        amount_minor bigint not null,
        response json not null,
        created_at timestamptz not null,
        -- the scheme may deliver an instruction more than once: one effect, the same answer
        primary key (fps_id, direction)
      );
    `,
  },
];

transfersMigrations.push({
  id: 'transfers/002-outbound',
  sql: `
    create table outbound_payments (
      fps_id text primary key,
      account_id uuid not null,
      amount_minor bigint not null check (amount_minor > 0),
      creditor jsonb not null,
      reference text not null,
      transaction_id uuid not null,
      correlation_id uuid not null,
      -- submitted: debited, the scheme's answer not yet known
      status text not null check (status in ('submitted', 'accepted', 'rejected')),
      reject_reason text,
      created_at timestamptz not null,
      attempts integer not null default 0
    );
    create index outbound_awaiting_scheme on outbound_payments (created_at) where status = 'submitted';
  `,
});
