import type { Migration } from '../platform/migrations';
import { advicesFunctionMigration } from './advices-function';

export const advicesMigrations: Migration[] = [
  {
    id: 'advices/001-applied-advices',
    sql: `
      -- Stand-in's advices applied here: recorded in the same transaction as their effect, so a
      -- redelivered advice finds itself and changes nothing.
      create table applied_advices (
        advice_id uuid primary key,
        account_id uuid not null,
        sequence integer not null,
        type text not null,
        correlation_id uuid not null,
        forced_overdraft boolean not null,
        applied_at timestamptz not null,
        unique (account_id, sequence)
      );
      create table advice_progress (
        account_id uuid primary key,
        last_sequence integer not null
      );
    `,
  },
];

advicesMigrations.push({
  id: 'advices/002-applied-advice-notes',
  sql: `
    -- Why an applied advice moved no money (a Faster Payment primary had already credited, a
    -- reversal of a payment already cleared): listed by the reconciliation report.
    alter table applied_advices add column note text;
  `,
});

advicesMigrations.push({
  id: 'advices/003-quarantined-advices',
  sql: `
    -- Advices primary cannot apply (an account or card it does not know, an effect it refuses):
    -- kept here with their reason instead of blocking every later advice of the account for ever.
    -- The account's sequence moves past them; an operator re-drives one once the cause is fixed,
    -- and it is then applied (and moved to applied_advices) or stays here with its new reason.
    create table quarantined_advices (
      advice_id uuid primary key,
      account_id uuid not null,
      sequence integer not null,
      type text not null,
      advice jsonb not null,
      reason text not null,
      quarantined_at timestamptz not null,
      redriven_at timestamptz,
      unique (account_id, sequence)
    );
    create index quarantined_advices_open on quarantined_advices (quarantined_at) where redriven_at is null;
  `,
});

advicesMigrations.push(advicesFunctionMigration);
