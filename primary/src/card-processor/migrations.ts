import type { Migration } from '../platform/migrations';
import { authorisationFunctionMigration, schemeShardsAndParkedCardMigration } from './authorisation-function';

export const cardProcessorMigrations: Migration[] = [
  {
    id: 'card-processor/001-messages',
    sql: `
      create table card_authorisations (
        id uuid primary key,
        stan char(6) not null,
        rrn char(12) not null,
        terminal_id text not null,
        card_id uuid,
        account_id uuid,
        mti char(4) not null,
        processing_code char(6) not null,
        amount_minor bigint not null,
        -- what is still authorised after partial reversals
        outstanding_minor bigint not null,
        response json not null,
        approved boolean not null,
        hold_id uuid,
        transaction_id uuid,
        correlation_id uuid not null,
        state text not null check (state in ('declined', 'held', 'posted', 'reversed', 'cleared')),
        created_at timestamptz not null,
        -- a repeated message (same STAN, RRN and terminal) gets the original answer
        unique (stan, rrn, terminal_id)
      );
      create index card_cash_by_day on card_authorisations (card_id, created_at) where approved and processing_code like '01%';

      create table card_reversals (
        stan char(6) not null,
        rrn char(12) not null,
        terminal_id text not null,
        response json not null,
        created_at timestamptz not null,
        primary key (stan, rrn, terminal_id)
      );

      create table card_clearings (
        clearing_id text primary key,
        result json not null,
        created_at timestamptz not null
      );
    `,
  },
  {
    id: 'card-processor/002-clearings-awaiting-authorisation',
    sql: `
      -- When each clearing primary could not match was first presented: it is sent back until
      -- its authorisation is known (a stand-in advice on the way) or CLEARING_MATCH_WAIT_MS passes.
      create table clearings_awaiting_authorisation (
        clearing_id text primary key,
        first_presented_at timestamptz not null
      );
    `,
  },
  {
    id: 'card-processor/003-reversals-awaiting-authorisation',
    sql: `
      -- A reversal acknowledged before primary knew its authorisation (stand-in approved it; the
      -- advice was still on the way): applied the moment the authorisation is recorded. No PAN.
      create table reversals_awaiting_authorisation (
        stan char(6) not null,
        rrn char(12) not null,
        terminal_id text not null,
        original_stan char(6) not null,
        original_rrn char(12) not null,
        original_terminal_id text not null,
        reversal jsonb not null,
        decided_by text not null check (decided_by in ('primary', 'standin')),
        received_at timestamptz not null,
        primary key (stan, rrn, terminal_id)
      );
      create index reversals_awaiting_by_original on reversals_awaiting_authorisation (original_stan, original_rrn, original_terminal_id);
    `,
  },
  authorisationFunctionMigration,
  {
    id: 'card-processor/005-expired-holds',
    sql: `
      -- An authorisation whose hold nobody cleared within HOLD_EXPIRY_DAYS is released and recorded as expired.
      alter table card_authorisations drop constraint card_authorisations_state_check;
      alter table card_authorisations add constraint card_authorisations_state_check
        check (state in ('declined', 'held', 'posted', 'reversed', 'cleared', 'expired'));
      -- The expiry sweep's question, "which holds are older than the expiry?", without reading every authorisation.
      create index card_authorisations_held_by_age on card_authorisations (created_at) where state = 'held';
      create index reversals_awaiting_by_age on reversals_awaiting_authorisation (received_at);
    `,
  },
  schemeShardsAndParkedCardMigration,
];
