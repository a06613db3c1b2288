// Stand-in's database schema, in order. Two families of tables, never mixed:
//  - synced_*: what the syncer copies from primary's events. Append-only, one row per
//    (entity, primary sequence); the highest sequence is the current version.
//  - own state (stand-in's decisions and effects): authorisations, transactions, card freezes,
//    advices. Stand-in never writes a synced_* row and the syncer never writes own state.

import { DisagreementReason } from '@bank/shared-contracts';

export interface SchemaStep {
  readonly name: string;
  readonly ddl: string;
}

export const STANDIN_SCHEMA: readonly SchemaStep[] = [
  {
    name: '0001 synced records',
    ddl: `
      create table synced_events (
        account_id uuid not null,
        sequence integer not null,
        event_id uuid not null unique,
        type text not null,
        correlation_id uuid,
        occurred_at timestamptz not null,
        synced_at timestamptz not null default clock_timestamp(),
        primary key (account_id, sequence)
      );
      create index synced_events_correlation on synced_events (account_id, correlation_id) where correlation_id is not null;

      create table synced_accounts (
        account_id uuid not null,
        sequence integer not null,
        customer_id uuid not null,
        holder_name text not null,
        sort_code char(6) not null,
        account_number char(8) not null,
        status text not null,
        overdraft_limit_minor bigint not null,
        unapproved_overdraft boolean not null,
        primary key (account_id, sequence)
      );
      create index synced_accounts_by_number on synced_accounts (sort_code, account_number);
      create index synced_accounts_by_customer on synced_accounts (customer_id);

      create table synced_balances (
        account_id uuid not null,
        sequence integer not null,
        settled_minor bigint not null,
        held_minor bigint not null,
        overdraft_limit_minor bigint not null,
        primary key (account_id, sequence)
      );

      create table synced_cards (
        card_id uuid not null,
        sequence integer not null,
        account_id uuid not null,
        -- keyed hash for lookup, and the PAN re-encrypted under stand-in's own key; never plaintext
        pan_lookup bytea not null,
        pan_sealed jsonb not null,
        last4 char(4) not null,
        expiry char(4) not null,
        status text not null,
        daily_cash_limit_minor bigint not null,
        changed_at timestamptz not null,
        primary key (card_id, sequence)
      );
      create index synced_cards_lookup on synced_cards (pan_lookup);

      create table synced_transactions (
        transaction_id uuid not null,
        sequence integer not null,
        account_id uuid not null,
        kind text not null,
        status text not null,
        amount_minor bigint not null,
        description text not null,
        merchant jsonb,
        counterparty jsonb,
        correlation_id uuid,
        created_at timestamptz not null,
        primary key (transaction_id, sequence)
      );
      create index synced_transactions_by_account on synced_transactions (account_id, created_at desc);

      create table synced_pots (
        pot_id uuid not null,
        sequence integer not null,
        account_id uuid not null,
        name text not null,
        balance_minor bigint not null,
        status text not null,
        primary key (pot_id, sequence)
      );

      create table synced_payees (
        payee_id uuid not null,
        sequence integer not null,
        account_id uuid not null,
        name text,
        sort_code char(6),
        account_number char(8),
        removed boolean not null,
        primary key (payee_id, sequence)
      );

      -- What the syncer noticed: a per-account sequence that skipped numbers.
      create table sync_gaps (
        account_id uuid not null,
        expected_sequence integer not null,
        received_sequence integer not null,
        detected_at timestamptz not null default now()
      );

      -- The syncer's latest measurement, for stand-in's /status.
      create table sync_lag (
        singleton boolean primary key default true check (singleton),
        last_event_at timestamptz not null,
        last_applied_at timestamptz not null,
        lag_ms integer not null,
        alerting boolean not null
      );

      create function synced_rows_are_immutable() returns trigger language plpgsql as $$
      begin
        raise exception 'synced records are immutable: % on % refused', tg_op, tg_table_name;
      end $$;
      do $$
      declare t text;
      begin
        foreach t in array array['synced_events', 'synced_accounts', 'synced_balances', 'synced_cards', 'synced_transactions', 'synced_pots', 'synced_payees'] loop
          execute format('create trigger %I before update or delete on %I for each row execute function synced_rows_are_immutable()', t || '_immutable', t);
        end loop;
      end $$;
    `,
  },
  {
    name: '0002 own state',
    ddl: `
      create table card_freezes (
        id bigserial primary key,
        card_id uuid not null,
        frozen boolean not null,
        requested_by text not null,
        created_at timestamptz not null
      );
      create index card_freezes_latest on card_freezes (card_id, id desc);

      -- Stand-in's own money movements; each shares its correlation id with the advice and,
      -- later, with the transaction primary creates when it applies that advice.
      create table own_transactions (
        correlation_id uuid primary key,
        account_id uuid not null,
        kind text not null,
        status text not null check (status in ('pending', 'settled', 'reversed')),
        amount_minor bigint not null,
        description text not null,
        merchant jsonb,
        counterparty jsonb,
        card_id uuid,
        created_at timestamptz not null
      );
      create index own_transactions_by_account on own_transactions (account_id, created_at desc);

      create table card_messages (
        stan char(6) not null,
        rrn char(12) not null,
        terminal_id text not null,
        kind text not null check (kind in ('authorisation', 'reversal')),
        card_id uuid,
        account_id uuid,
        processing_code char(6),
        approved boolean not null,
        amount_minor bigint not null,
        remaining_minor bigint not null,
        correlation_id uuid,
        response json not null,
        received_at timestamptz not null,
        primary key (stan, rrn, terminal_id)
      );
      create index card_messages_cash on card_messages (card_id, received_at) where approved and processing_code like '01%';

      create table fps_messages (
        fps_id text not null,
        direction text not null,
        response json not null,
        primary key (fps_id, direction)
      );

      create table advice_sequences (
        account_id uuid primary key,
        last_sequence integer not null
      );

      create table advices (
        advice_id uuid primary key,
        account_id uuid not null,
        sequence integer not null,
        correlation_id uuid not null,
        type text not null,
        advice jsonb not null,
        created_at timestamptz not null,
        published_at timestamptz,
        unique (account_id, sequence)
      );
      create index advices_unpublished on advices (created_at) where published_at is null;
    `,
  },
  {
    name: '0003 synced credentials',
    ddl: `
      -- The hash of each customer's app token, so stand-in's app API can recognise customers.
      create table synced_credentials (
        account_id uuid not null,
        sequence integer not null,
        customer_id uuid not null,
        token_sha256 bytea not null,
        primary key (account_id, sequence)
      );
      create index synced_credentials_by_token on synced_credentials (token_sha256);
      create trigger synced_credentials_immutable before update or delete on synced_credentials for each row execute function synced_rows_are_immutable();
    `,
  },
  {
    name: '0004 daily approvals by account',
    ddl: `
      -- Every authorisation sums the account's approvals today (the per-account risk limit):
      -- without this index that is a scan of every card message ever received.
      create index card_messages_approved_today on card_messages (account_id, received_at) where kind = 'authorisation' and approved;
    `,
  },
  {
    name: '0005 configuration versions',
    ddl: `
      -- Every configuration document stand-in has held, made here or adopted from primary. The
      -- highest version is current; rows are never changed, so this is also the audit log.
      create table configuration_versions (
        version integer primary key check (version > 0),
        document jsonb not null,
        source text not null check (source in ('change', 'adopted')),
        recorded_by text not null,
        recorded_at timestamptz not null default clock_timestamp()
      );
      create function configuration_versions_are_immutable() returns trigger language plpgsql as $$
      begin
        raise exception 'configuration versions are an audit log: % refused', tg_op;
      end $$;
      create trigger configuration_versions_immutable before update or delete on configuration_versions for each row execute function configuration_versions_are_immutable();
    `,
  },
  {
    name: '0006 outbound faster payments',
    ddl: `
      -- A debit the scheme rejected stays listed, so the customer sees the transfer failed, but no
      -- longer counts against the balance.
      alter table own_transactions drop constraint own_transactions_status_check;
      alter table own_transactions add constraint own_transactions_status_check check (status in ('pending', 'settled', 'reversed', 'rejected'));

      -- Faster Payments sent from stand-in's app, one per idempotency key (fps_id = 'SI-' || key).
      -- refused: not reserved, never submitted; submitting: money reserved, the scheme's answer not
      -- known yet; sent / rejected: the scheme's answer, final.
      create table outbound_payments (
        fps_id text primary key,
        account_id uuid not null,
        amount_minor bigint not null check (amount_minor > 0),
        creditor jsonb not null,
        reference text not null,
        -- the stand-in account as it stood when the money was reserved: every attempt sends the same message
        debtor jsonb,
        correlation_id uuid unique references own_transactions (correlation_id),
        status text not null check (status in ('refused', 'submitting', 'sent', 'rejected')),
        why text,
        reject_reason text,
        attempts integer not null default 0,
        last_attempt_at timestamptz,
        created_at timestamptz not null,
        decided_at timestamptz,
        check ((status = 'refused') = (correlation_id is null)),
        check (status <> 'submitting' or (debtor is not null and last_attempt_at is not null))
      );
      create index outbound_payments_unanswered on outbound_payments (last_attempt_at) where status = 'submitting';
    `,
  },
  {
    name: '0007 shadow decisions',
    ddl: `
      -- Card messages primary decided and copied here to be decided again without effect: both
      -- answers side by side, one row per message key however often primary sends it. No PAN:
      -- the account and the message key identify the payment.
      create table shadow_decisions (
        stan char(6) not null,
        rrn char(12) not null,
        terminal_id text not null,
        message_type text not null check (message_type in ('purchase', 'purchase_single_message', 'cash', 'refund')),
        amount_minor bigint not null check (amount_minor > 0),
        account_id uuid,
        primary_response_code char(2) not null,
        primary_reason text,
        standin_response_code char(2) not null,
        standin_reason text not null,
        agrees boolean not null,
        disagreement text check (disagreement in (${DisagreementReason.options.map((reason) => `'${reason}'`).join(', ')})),
        -- the syncer's lag when stand-in decided, and how far each side had the account
        sync_lag_ms integer,
        primary_account_sequence integer,
        standin_account_sequence integer,
        primary_answered_at timestamptz not null,
        decided_at timestamptz not null,
        primary key (stan, rrn, terminal_id),
        check (agrees = (disagreement is null))
      );
      create index shadow_decisions_by_time on shadow_decisions (decided_at);
    `,
  },
  {
    name: '0008 advices applied by primary',
    ddl: `
      -- When stand-in saw primary's event carrying the advice's correlation id come back, i.e. that
      -- primary has applied it (advices/advices-in-flight.ts). Null: in flight, published or not.
      alter table advices add column applied_seen_at timestamptz;
      -- Advices made before this column existed: every one whose event has already come back.
      -- One pass over the log, once; it may take longer than a request's statement timeout.
      set local statement_timeout = 0;
      update advices a set applied_seen_at = clock_timestamp()
      where exists (select 1 from synced_events e where e.account_id = a.account_id and e.correlation_id = a.correlation_id);
      create index advices_in_flight on advices (created_at) where applied_seen_at is null;
    `,
  },
  {
    name: '0009 faster payment ids in synced transactions',
    ddl: `
      -- The scheme re-presents a payment it got no answer for, wherever the customer's payments
      -- go by then: a payment primary already credited is recognised here by its id.
      alter table synced_transactions add column if not exists fps_id text;
      create index if not exists synced_transactions_by_fps_id on synced_transactions (fps_id) where fps_id is not null;
    `,
  },
];
