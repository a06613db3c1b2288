import type { Migration } from '../platform/migrations';

export const routingMigrations: Migration[] = [
  {
    id: 'routing/001-timeout-reversals-owed',
    sql: `
      -- Reversals primary owes the platform that may still approve an authorisation primary answered
      -- 91 for (issue 15): written before the 91 is answered, delivered until acknowledged, across
      -- restarts and by whichever primary process claims them. The reversal is kept without its card
      -- number; the card number is encrypted under primary's own key (keyset A), as a card's is.
      create table timeout_reversals_owed (
        original_stan char(6) not null,
        original_rrn char(12) not null,
        original_terminal_id text not null,
        reversal_without_pan jsonb not null,
        pan_encrypted jsonb not null,
        -- why the outcome at stand-in is unknown: timeout, bad_answer, reset, late_approval
        reason text not null,
        attempts integer not null default 0,
        next_attempt_at timestamptz not null,
        -- set once attempts reached the flag threshold: still retried (slower), shown to operators
        flagged_at timestamptz,
        last_failure text,
        created_at timestamptz not null,
        primary key (original_stan, original_rrn, original_terminal_id)
      );
      create index timeout_reversals_owed_due on timeout_reversals_owed (next_attempt_at);
      create index timeout_reversals_owed_flagged on timeout_reversals_owed (flagged_at) where flagged_at is not null;
    `,
  },
  {
    id: 'routing/002-late-approval-reversals-owed',
    sql: `
      -- Primary's reversals of its own approvals that committed after the card budget (the network
      -- had heard 91) join the same table: before, they waited in one process's memory and a restart
      -- lost them. Each delivery loop claims only the rows owed to the platform it delivers to.
      alter table timeout_reversals_owed add column owed_to text not null default 'standin' check (owed_to in ('standin', 'primary'));
      drop index timeout_reversals_owed_due;
      create index timeout_reversals_owed_due on timeout_reversals_owed (owed_to, next_attempt_at);
    `,
  },
];
