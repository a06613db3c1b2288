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
  {
    name: '0010 card authorisation in one round trip',
    ddl: `
      -- Stand-in's card authorisation as one statement (payments/card-authorisation.ts calls it):
      -- the message key's lock, a repeat answered with the stored answer, the card, the account's
      -- lock, the balance and the day's approvals, the verdict, and the own transaction, advice and
      -- card message, all in the one implicit transaction of a single SELECT. The TypeScript rules
      -- (payments/authorisation-rules.ts) stay the specification: standin_card_verdict is their
      -- translation, held to the same answers by a property-based test on this database.

      -- The rules, in their order: the first that applies gives the answer.
      create function standin_card_verdict(
        card_known boolean, card_status text, card_expiry text, card_daily_cash_limit_minor bigint,
        presented_expiry text, transaction_type text, currency text, amount_minor bigint,
        spendable_minor bigint, approved_today_minor bigint, cash_today_minor bigint, today timestamptz,
        per_payment_limit_minor bigint, per_account_day_limit_minor bigint,
        out code text, out why text
      ) language plpgsql stable as $fn$
      begin
        if not card_known then code := '14'; why := 'card not known to stand-in';
        elsif card_status = 'cancelled' then code := '05'; why := 'card cancelled';
        elsif card_status = 'frozen' then code := '62'; why := 'card frozen';
        -- Valid until the first day of the month after the expiry month (YYMM), UTC.
        elsif today >= make_timestamptz(2000 + substr(card_expiry, 1, 2)::int, 1, 1, 0, 0, 0, 'UTC') + make_interval(months => substr(card_expiry, 3)::int) then
          code := '54'; why := 'card expired';
        elsif presented_expiry is distinct from card_expiry then code := '54'; why := 'presented expiry does not match';
        elsif transaction_type not in ('00', '01') then code := '12'; why := format('transaction type %s not handled in stand-in', transaction_type);
        elsif currency <> 'GBP' then code := '57'; why := 'stand-in takes GBP only';
        elsif amount_minor > per_payment_limit_minor then code := '61'; why := 'over stand-in per-payment limit';
        elsif approved_today_minor + amount_minor > per_account_day_limit_minor then code := '61'; why := 'over stand-in daily limit for the account';
        elsif transaction_type = '01' and cash_today_minor + amount_minor > coalesce(card_daily_cash_limit_minor, 0) then code := '61'; why := 'over the card daily cash limit';
        elsif amount_minor > spendable_minor then code := '51'; why := 'insufficient funds as stand-in sees them';
        else code := '00'; why := 'approved by stand-in';
        end if;
      end $fn$;

      -- Every lock the call waits for may wait only until the deadline (the caller's budget, pool
      -- wait included); past it the call fails, and so rolls back, whatever it had done.
      create function standin_card_budget(deadline timestamptz) returns void language plpgsql as $fn$
      declare remaining_ms bigint := floor(extract(epoch from deadline - clock_timestamp()) * 1000);
      begin
        if remaining_ms <= 0 then
          raise exception 'stand-in card budget exceeded' using errcode = 'SI901';
        end if;
        perform set_config('lock_timeout', remaining_ms || 'ms', true);
      end $fn$;

      -- One lock per message key, so concurrent repeats of a message queue behind the first and
      -- then read its answer (and a late settlement can claim a key nobody is deciding).
      create function standin_card_message_lock(stan bpchar, rrn bpchar, terminal_id text) returns bigint language sql immutable as $fn$
        select hashtextextended(stan::text || '/' || rrn::text || '/' || terminal_id, 15)
      $fn$;

      create function standin_authorise(
        p_stan bpchar, p_rrn bpchar, p_terminal_id text, p_mti text, p_pan_lookup bytea, p_expiry text,
        p_processing_code text, p_currency text, p_amount_minor bigint, p_merchant jsonb, p_transmitted_at text,
        p_at timestamptz, p_per_payment_limit_minor bigint, p_per_account_day_limit_minor bigint,
        p_correlation_id uuid, p_authorisation_code text, p_advice_schema_version integer, p_deadline timestamptz
      ) returns json language plpgsql as $fn$
      declare
        earlier json;
        card record;
        card_status text;
        spendable bigint := 0;
        approved_today bigint := 0;
        cash_today bigint := 0;
        transaction_type text := substr(p_processing_code, 1, 2);
        verdict record;
        approved boolean;
        response json;
        advice_sequence integer;
        advice_type text;
        advice jsonb;
      begin
        perform standin_card_budget(p_deadline);
        perform pg_advisory_xact_lock(standin_card_message_lock(p_stan, p_rrn, p_terminal_id));
        select m.response into earlier from card_messages m where m.stan = p_stan and m.rrn = p_rrn and m.terminal_id = p_terminal_id;
        if found then
          return earlier;
        end if;

        -- The newest synced version of the card, with a freeze made in stand-in on top when it is
        -- newer than primary's last word (cancelled is final).
        select c.card_id, c.account_id, c.status, c.expiry::text as expiry, c.daily_cash_limit_minor, c.changed_at, f.frozen as own_frozen, f.created_at as own_at
        into card
        from (select * from synced_cards s where s.pan_lookup = p_pan_lookup order by s.sequence desc limit 1) c
        left join lateral (select z.frozen, z.created_at from card_freezes z where z.card_id = c.card_id order by z.id desc limit 1) f on true;
        if found then
          card_status := case
            when card.status = 'cancelled' or card.own_at is null or card.own_at <= card.changed_at then card.status
            when card.own_frozen then 'frozen'
            else 'active' end;
          -- One decision per account at a time: the same lock stand-in's other writers take.
          perform standin_card_budget(p_deadline);
          perform pg_advisory_xact_lock(hashtextextended(card.account_id::text, 7));
          -- The balance as stand-in sees it (views/balance-view.ts): newest synced balance plus own
          -- effects primary has not reflected yet, plus the overdraft limit.
          select b.settled_minor - b.held_minor + b.overdraft_limit_minor + coalesce((
                   select sum(own.amount_minor) from own_transactions own
                   where own.account_id = card.account_id and own.status not in ('reversed', 'rejected')
                     and not exists (
                       select 1 from synced_events seen
                       where seen.account_id = card.account_id and seen.correlation_id = own.correlation_id and seen.sequence <= b.sequence
                     )
                 ), 0)
          into spendable
          from (select * from synced_balances sb where sb.account_id = card.account_id order by sb.sequence desc limit 1) b;
          spendable := coalesce(spendable, 0);
          select coalesce(sum(m.remaining_minor), 0),
                 coalesce(sum(m.remaining_minor) filter (where m.card_id = card.card_id and m.processing_code like '01%'), 0)
          into approved_today, cash_today
          from card_messages m
          where m.account_id = card.account_id and m.kind = 'authorisation' and m.approved and m.received_at >= date_trunc('day', p_at, 'UTC');
        end if;

        select v.code, v.why into verdict from standin_card_verdict(
          card.card_id is not null, card_status, card.expiry, card.daily_cash_limit_minor,
          p_expiry, transaction_type, p_currency, p_amount_minor, spendable, approved_today, cash_today, p_at,
          p_per_payment_limit_minor, p_per_account_day_limit_minor) v;
        approved := verdict.code = '00';

        if approved then
          response := json_build_object(
            'mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id,
            'responseCode', verdict.code, 'authorisationCode', p_authorisation_code, 'approvedAmountMinor', p_amount_minor,
            'decidedBy', 'standin', 'reason', verdict.why);
          insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, merchant, card_id, created_at)
          values (p_correlation_id, card.account_id, case when transaction_type = '01' then 'cash_withdrawal' else 'card_payment' end,
                  case when p_mti = '0200' then 'settled' else 'pending' end, -p_amount_minor, p_merchant ->> 'name', p_merchant, card.card_id, p_at);
          -- The per-account advice sequence from a row held locked until commit (advices/advice-log.ts).
          perform standin_card_budget(p_deadline);
          insert into advice_sequences as s (account_id, last_sequence) values (card.account_id, 1)
          on conflict (account_id) do update set last_sequence = s.last_sequence + 1
          returning last_sequence into advice_sequence;
          advice_type := case when transaction_type = '01' then 'cash.withdrawn' else 'card_payment.approved' end;
          advice := jsonb_build_object(
            'adviceId', gen_random_uuid(), 'type', advice_type, 'accountId', card.account_id, 'sequence', advice_sequence,
            'correlationId', p_correlation_id, 'createdAt', to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'schemaVersion', p_advice_schema_version,
            'payload', jsonb_build_object('cardId', card.card_id, 'authorisation', jsonb_build_object(
              'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id, 'mti', p_mti, 'processingCode', p_processing_code,
              'amountMinor', p_amount_minor, 'currency', p_currency, 'merchant', p_merchant, 'authorisationCode', p_authorisation_code,
              'transmittedAt', p_transmitted_at)));
          insert into advices (advice_id, account_id, sequence, correlation_id, type, advice, created_at)
          values ((advice ->> 'adviceId')::uuid, card.account_id, advice_sequence, p_correlation_id, advice_type, advice, p_at);
        else
          response := json_build_object(
            'mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id,
            'responseCode', verdict.code, 'approvedAmountMinor', 0, 'decidedBy', 'standin', 'reason', verdict.why);
        end if;

        insert into card_messages (stan, rrn, terminal_id, kind, card_id, account_id, processing_code, approved, amount_minor, remaining_minor, correlation_id, response, received_at)
        values (p_stan, p_rrn, p_terminal_id, 'authorisation', card.card_id, card.account_id, p_processing_code, approved, p_amount_minor,
                case when approved then p_amount_minor else 0 end, case when approved then p_correlation_id end, response, p_at);

        -- Past the deadline the caller has stopped waiting (and may have answered 91): roll back
        -- rather than commit an approval nobody heard.
        if clock_timestamp() > p_deadline then
          raise exception 'stand-in card budget exceeded before commit' using errcode = 'SI901';
        end if;
        return response;
      end $fn$;

      -- After an authorisation whose outcome the caller could not learn (its connection failed, or
      -- the database did not answer within the budget): the stored answer if it committed; if nobody
      -- is deciding the key now, the given decline is stored as the answer, so the original, should
      -- it still arrive, answers that decline instead of approving; null while it is still being
      -- decided (ask again).
      create function standin_settle_authorisation(
        p_stan bpchar, p_rrn bpchar, p_terminal_id text, p_processing_code text, p_amount_minor bigint, p_decline json, p_at timestamptz
      ) returns json language plpgsql as $fn$
      declare earlier json;
      begin
        if not pg_try_advisory_xact_lock(standin_card_message_lock(p_stan, p_rrn, p_terminal_id)) then
          return null;
        end if;
        select m.response into earlier from card_messages m where m.stan = p_stan and m.rrn = p_rrn and m.terminal_id = p_terminal_id;
        if found then
          return earlier;
        end if;
        insert into card_messages (stan, rrn, terminal_id, kind, processing_code, approved, amount_minor, remaining_minor, response, received_at)
        values (p_stan, p_rrn, p_terminal_id, 'authorisation', p_processing_code, false, p_amount_minor, 0, p_decline, p_at);
        return p_decline;
      end $fn$;
    `,
  },
  {
    name: '0011 credential expiry and revocation',
    ddl: `
      -- Primary's app tokens end (issue 17): each credential carries when it was issued and when
      -- it expires (null: synced before tokens expired), and a revocation ends every token of the
      -- customer issued at or before its time. Both synced from primary's events, append-only.
      alter table synced_credentials add column issued_at timestamptz, add column expires_at timestamptz;
      create table synced_credential_revocations (
        account_id uuid not null,
        sequence integer not null,
        customer_id uuid not null,
        revoked_at timestamptz not null,
        primary key (account_id, sequence)
      );
      create index synced_credential_revocations_by_customer on synced_credential_revocations (customer_id, revoked_at desc);
      create trigger synced_credential_revocations_immutable before update or delete on synced_credential_revocations
        for each row execute function synced_rows_are_immutable();
    `,
  },
  {
    name: '0012 syncer heartbeat',
    ddl: `
      -- The syncer's last word is not proof it is still there: a dead syncer leaves its last lag in
      -- place, and stand-in would go on calling its data current. The syncer now writes when it last
      -- heard from Kafka (about once a second) and its appetite; stand-in counts the silence since
      -- then as lag, so a dead syncer, a dead Kafka or a partition all show as stale data.
      alter table sync_lag add column heard_at timestamptz, add column appetite_ms integer;
    `,
  },
  {
    name: '0013 incidents',
    ddl: `
      -- An incident opens when stand-in is switched on for anyone (a component for some users, or
      -- direct connect) and closes when everything is back on primary and primary has applied
      -- every advice (incidents/incident-tracker.ts). One open at a time. The report is composed
      -- from stand-in's own records of the window; only the peaks seen while it was open are kept here.
      create table incidents (
        incident_id uuid primary key,
        opened_at timestamptz not null,
        opened_version integer not null,
        closed_at timestamptz,
        closed_version integer,
        peak_sync_lag_ms integer not null default 0,
        peak_advices_in_flight integer not null default 0
      );
      create unique index incidents_one_open on incidents ((true)) where closed_at is null;
    `,
  },
  {
    name: '0014 stand-in rules from the configuration',
    ddl: `
      -- Stand-in's card rules come from the configuration document (issue 21; the rules resolved
      -- for the payment by payments/standin-rules.ts arrive as one jsonb), and every decline by a
      -- rule names it. New functions beside the old ones, so replicas of the previous release keep
      -- calling theirs until they are replaced; a later step drops those.
      alter table card_messages add column rule text;
      alter table shadow_decisions add column standin_rule text;
      create index shadow_decisions_rule_cost on shadow_decisions (decided_at) where standin_rule is not null and primary_response_code = '00';

      -- The rules, in their order: the first that applies gives the answer. Amount limits are
      -- scaled by the staleness step the account's data age falls in (the last one it is older
      -- than; data of unknown age, the last step).
      create function standin_card_rules_verdict(
        card_known boolean, card_status text, card_expiry text, card_daily_cash_limit_minor bigint, card_blocked boolean,
        presented_expiry text, transaction_type text, currency text, amount_minor bigint,
        spendable_minor bigint, approved_today_minor bigint, cash_today_minor bigint,
        since_heard_count bigint, since_heard_minor bigint, data_age_ms bigint, today timestamptz, rules jsonb,
        out code text, out why text, out rule text
      ) language plpgsql stable as $fn$
      declare
        step jsonb;
        percent integer;
        note text := '';
        since jsonb := rules -> 'sinceLastHeard';
        per_payment jsonb := rules -> 'perPayment';
      begin
        if data_age_ms is null then
          step := rules -> 'staleness' -> -1;
        else
          select t.s into step from jsonb_array_elements(rules -> 'staleness') with ordinality as t(s, n)
          where data_age_ms > (t.s ->> 'olderThanMinutes')::bigint * 60000 order by t.n desc limit 1;
        end if;
        percent := coalesce((step ->> 'limitPercent')::integer, 100);
        if step is not null and percent < 100 then
          note := format(' (limits at %s%% for synced data over %s min old)', percent, step ->> 'olderThanMinutes');
        end if;
        rule := null;
        if not card_known then code := '14'; why := 'card not known to stand-in';
        elsif card_status = 'cancelled' then code := '05'; why := 'card cancelled';
        elsif card_status = 'frozen' then code := '62'; why := 'card frozen';
        elsif card_blocked then code := '62'; why := 'stand-in rule: card blocked in stand-in'; rule := 'blocked-card';
        -- Valid until the first day of the month after the expiry month (YYMM), UTC.
        elsif today >= make_timestamptz(2000 + substr(card_expiry, 1, 2)::int, 1, 1, 0, 0, 0, 'UTC') + make_interval(months => substr(card_expiry, 3)::int) then
          code := '54'; why := 'card expired';
        elsif presented_expiry is distinct from card_expiry then code := '54'; why := 'presented expiry does not match';
        elsif transaction_type not in ('00', '01') then code := '12'; why := format('transaction type %s not handled in stand-in', transaction_type);
        elsif currency <> 'GBP' then code := '57'; why := 'stand-in takes GBP only';
        elsif rules ? 'kindBlocked' then code := '57'; why := rules -> 'kindBlocked' ->> 'label'; rule := rules -> 'kindBlocked' ->> 'rule';
        elsif amount_minor > (per_payment ->> 'limitMinor')::bigint * percent / 100 then
          code := '61'; why := (per_payment ->> 'label') || note; rule := per_payment ->> 'rule';
        elsif since ? 'maxCount' and since_heard_count + 1 > (since ->> 'maxCount')::bigint then
          code := '61'; why := (since ->> 'label') || ' (count)'; rule := (since ->> 'rule') || ':count';
        elsif since ? 'maxAmountMinor' and since_heard_minor + amount_minor > (since ->> 'maxAmountMinor')::bigint * percent / 100 then
          code := '61'; why := (since ->> 'label') || ' (amount)' || note; rule := (since ->> 'rule') || ':amount';
        elsif approved_today_minor + amount_minor > (rules ->> 'perAccountDayMinor')::bigint * percent / 100 then
          code := '61'; why := 'stand-in risk limit: per account per day' || note; rule := 'per-account-day';
        elsif transaction_type = '01' and cash_today_minor + amount_minor > coalesce(card_daily_cash_limit_minor, 0) then code := '61'; why := 'over the card daily cash limit';
        elsif amount_minor > spendable_minor then code := '51'; why := 'insufficient funds as stand-in sees them';
        else code := '00'; why := 'approved by stand-in';
        end if;
      end $fn$;

      create function standin_authorise_by_rules(
        p_stan bpchar, p_rrn bpchar, p_terminal_id text, p_mti text, p_pan_lookup bytea, p_expiry text,
        p_processing_code text, p_currency text, p_amount_minor bigint, p_merchant jsonb, p_transmitted_at text,
        p_at timestamptz, p_rules jsonb,
        p_correlation_id uuid, p_authorisation_code text, p_advice_schema_version integer, p_deadline timestamptz
      ) returns json language plpgsql as $fn$
      declare
        earlier json;
        card record;
        card_status text;
        spendable bigint := 0;
        approved_today bigint := 0;
        cash_today bigint := 0;
        last_heard_at timestamptz;
        data_age_ms bigint;
        since_heard_count bigint := 0;
        since_heard_minor bigint := 0;
        transaction_type text := substr(p_processing_code, 1, 2);
        verdict record;
        approved boolean;
        response json;
        advice_sequence integer;
        advice_type text;
        advice jsonb;
      begin
        perform standin_card_budget(p_deadline);
        perform pg_advisory_xact_lock(standin_card_message_lock(p_stan, p_rrn, p_terminal_id));
        select m.response into earlier from card_messages m where m.stan = p_stan and m.rrn = p_rrn and m.terminal_id = p_terminal_id;
        if found then
          return earlier;
        end if;

        -- The newest synced version of the card, with a freeze made in stand-in on top when it is
        -- newer than primary's last word (cancelled is final).
        select c.card_id, c.account_id, c.status, c.expiry::text as expiry, c.daily_cash_limit_minor, c.changed_at, f.frozen as own_frozen, f.created_at as own_at
        into card
        from (select * from synced_cards s where s.pan_lookup = p_pan_lookup order by s.sequence desc limit 1) c
        left join lateral (select z.frozen, z.created_at from card_freezes z where z.card_id = c.card_id order by z.id desc limit 1) f on true;
        if found then
          card_status := case
            when card.status = 'cancelled' or card.own_at is null or card.own_at <= card.changed_at then card.status
            when card.own_frozen then 'frozen'
            else 'active' end;
          -- One decision per account at a time: the same lock stand-in's other writers take.
          perform standin_card_budget(p_deadline);
          perform pg_advisory_xact_lock(hashtextextended(card.account_id::text, 7));
          -- The balance as stand-in sees it (views/balance-view.ts): newest synced balance plus own
          -- effects primary has not reflected yet, plus the overdraft limit.
          select b.settled_minor - b.held_minor + b.overdraft_limit_minor + coalesce((
                   select sum(own.amount_minor) from own_transactions own
                   where own.account_id = card.account_id and own.status not in ('reversed', 'rejected')
                     and not exists (
                       select 1 from synced_events seen
                       where seen.account_id = card.account_id and seen.correlation_id = own.correlation_id and seen.sequence <= b.sequence
                     )
                 ), 0)
          into spendable
          from (select * from synced_balances sb where sb.account_id = card.account_id order by sb.sequence desc limit 1) b;
          spendable := coalesce(spendable, 0);
          select coalesce(sum(m.remaining_minor), 0),
                 coalesce(sum(m.remaining_minor) filter (where m.card_id = card.card_id and m.processing_code like '01%'), 0)
          into approved_today, cash_today
          from card_messages m
          where m.account_id = card.account_id and m.kind = 'authorisation' and m.approved and m.received_at >= date_trunc('day', p_at, 'UTC');
          -- When primary was last heard from about the account (its newest synced event): the age of
          -- stand-in's data, and the start of the card's approvals "since last heard".
          select e.occurred_at into last_heard_at from synced_events e where e.account_id = card.account_id order by e.sequence desc limit 1;
          data_age_ms := floor(extract(epoch from p_at - last_heard_at) * 1000);
          -- Counted only when a limit asks for it: with none set (the default) it decides nothing.
          if (p_rules -> 'sinceLastHeard') ?| array['maxCount', 'maxAmountMinor'] then
            select count(*), coalesce(sum(m.remaining_minor), 0)
            into since_heard_count, since_heard_minor
            from card_messages m
            where m.account_id = card.account_id and m.kind = 'authorisation' and m.approved and m.card_id = card.card_id
              and substr(m.processing_code, 1, 2) = case when transaction_type = '01' then '01' else '00' end
              and (last_heard_at is null or m.received_at > last_heard_at);
          end if;
        end if;

        select v.code, v.why, v.rule into verdict from standin_card_rules_verdict(
          card.card_id is not null, card_status, card.expiry, card.daily_cash_limit_minor,
          coalesce(p_rules -> 'blockedCards' ? card.card_id::text, false),
          p_expiry, transaction_type, p_currency, p_amount_minor, spendable, approved_today, cash_today,
          since_heard_count, since_heard_minor, data_age_ms, p_at, p_rules) v;
        approved := verdict.code = '00';

        if approved then
          response := json_build_object(
            'mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id,
            'responseCode', verdict.code, 'authorisationCode', p_authorisation_code, 'approvedAmountMinor', p_amount_minor,
            'decidedBy', 'standin', 'reason', verdict.why);
          insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, merchant, card_id, created_at)
          values (p_correlation_id, card.account_id, case when transaction_type = '01' then 'cash_withdrawal' else 'card_payment' end,
                  case when p_mti = '0200' then 'settled' else 'pending' end, -p_amount_minor, p_merchant ->> 'name', p_merchant, card.card_id, p_at);
          -- The per-account advice sequence from a row held locked until commit (advices/advice-log.ts).
          perform standin_card_budget(p_deadline);
          insert into advice_sequences as s (account_id, last_sequence) values (card.account_id, 1)
          on conflict (account_id) do update set last_sequence = s.last_sequence + 1
          returning last_sequence into advice_sequence;
          advice_type := case when transaction_type = '01' then 'cash.withdrawn' else 'card_payment.approved' end;
          advice := jsonb_build_object(
            'adviceId', gen_random_uuid(), 'type', advice_type, 'accountId', card.account_id, 'sequence', advice_sequence,
            'correlationId', p_correlation_id, 'createdAt', to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'schemaVersion', p_advice_schema_version,
            'payload', jsonb_build_object('cardId', card.card_id, 'authorisation', jsonb_build_object(
              'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id, 'mti', p_mti, 'processingCode', p_processing_code,
              'amountMinor', p_amount_minor, 'currency', p_currency, 'merchant', p_merchant, 'authorisationCode', p_authorisation_code,
              'transmittedAt', p_transmitted_at)));
          insert into advices (advice_id, account_id, sequence, correlation_id, type, advice, created_at)
          values ((advice ->> 'adviceId')::uuid, card.account_id, advice_sequence, p_correlation_id, advice_type, advice, p_at);
        else
          response := json_build_object(
            'mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id,
            'responseCode', verdict.code, 'approvedAmountMinor', 0, 'decidedBy', 'standin', 'reason', verdict.why);
        end if;

        insert into card_messages (stan, rrn, terminal_id, kind, card_id, account_id, processing_code, approved, amount_minor, remaining_minor, correlation_id, response, received_at, rule)
        values (p_stan, p_rrn, p_terminal_id, 'authorisation', card.card_id, card.account_id, p_processing_code, approved, p_amount_minor,
                case when approved then p_amount_minor else 0 end, case when approved then p_correlation_id end, response, p_at, verdict.rule);

        -- Past the deadline the caller has stopped waiting (and may have answered 91): roll back
        -- rather than commit an approval nobody heard.
        if clock_timestamp() > p_deadline then
          raise exception 'stand-in card budget exceeded before commit' using errcode = 'SI901';
        end if;
        return response;
      end $fn$;
    `,
  },
  {
    name: '0015 autopilot',
    ddl: `
      -- The autopilot (issue 21): its settings, one row per version (append-only: who changed what
      -- and why stays readable), and what it did or would have done. The hourly cap counts the
      -- switched rows here, so it survives a restart and holds across replicas.
      create table autopilot_settings_versions (
        version integer primary key,
        settings jsonb not null,
        changed_by text not null,
        reason text not null,
        changed_at timestamptz not null default now()
      );
      create function autopilot_settings_are_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'autopilot settings versions are append-only: % refused', tg_op;
      end $$;
      create trigger autopilot_settings_versions_append_only before update or delete on autopilot_settings_versions
        for each row execute function autopilot_settings_are_append_only();
      create table autopilot_actions (
        action_id bigserial primary key,
        at timestamptz not null,
        kind text not null check (kind in ('switched', 'dry-run', 'withheld')),
        mode text not null,
        components text[] not null,
        reason text not null,
        withheld jsonb not null,
        evidence jsonb not null,
        settings_version integer not null,
        configuration_version integer
      );
      create index autopilot_actions_by_time on autopilot_actions (at desc);
    `,
  },
  {
    name: '0016 reconciliation results',
    ddl: `
      -- The advice consumer's reconciliation results (advices/reconciliation-results.ts), append-only:
      -- the incident report gives the newest one since the incident opened.
      create table reconciliations (
        id bigint generated always as identity primary key,
        checked_at timestamptz not null,
        result jsonb not null,
        recorded_at timestamptz not null
      );
      create index reconciliations_by_time on reconciliations (checked_at);
    `,
  },
  {
    name: '0017 stand-in advises its card declines',
    ddl: `
      -- Every card decline stand-in gives on a card it knows becomes an advice too
      -- (card_payment.declined, shared-contracts advices.ts): no money moves, but primary records
      -- the answer under the message key (a repeat reaching primary gets the same decline) and the
      -- rule that gave it, as a card scheme's stand-in advises the issuer of every decision. The
      -- function is replaced in place (its signature is unchanged): a replica of the previous
      -- release calling it advises declines as well once this step has run, so primary and the
      -- advice consumer are upgraded first (README, "Upgrading"). Below is step 0014's function
      -- with the advice written by one helper for approvals and declines alike, and the card
      -- message carrying the correlation id of whichever advice it made.
      create function standin_card_advice(
        p_account_id uuid, p_correlation_id uuid, p_type text, p_payload jsonb, p_at timestamptz, p_schema_version integer, p_deadline timestamptz
      ) returns void language plpgsql as $fn$
      declare
        advice_sequence integer;
        advice jsonb;
      begin
        -- The per-account advice sequence from a row held locked until commit (advices/advice-log.ts).
        perform standin_card_budget(p_deadline);
        insert into advice_sequences as s (account_id, last_sequence) values (p_account_id, 1)
        on conflict (account_id) do update set last_sequence = s.last_sequence + 1
        returning last_sequence into advice_sequence;
        advice := jsonb_build_object(
          'adviceId', gen_random_uuid(), 'type', p_type, 'accountId', p_account_id, 'sequence', advice_sequence,
          'correlationId', p_correlation_id, 'createdAt', to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'schemaVersion', p_schema_version, 'payload', p_payload);
        insert into advices (advice_id, account_id, sequence, correlation_id, type, advice, created_at)
        values ((advice ->> 'adviceId')::uuid, p_account_id, advice_sequence, p_correlation_id, p_type, advice, p_at);
      end $fn$;

      create or replace function standin_authorise_by_rules(
        p_stan bpchar, p_rrn bpchar, p_terminal_id text, p_mti text, p_pan_lookup bytea, p_expiry text,
        p_processing_code text, p_currency text, p_amount_minor bigint, p_merchant jsonb, p_transmitted_at text,
        p_at timestamptz, p_rules jsonb,
        p_correlation_id uuid, p_authorisation_code text, p_advice_schema_version integer, p_deadline timestamptz
      ) returns json language plpgsql as $fn$
      declare
        earlier json;
        card record;
        card_status text;
        spendable bigint := 0;
        approved_today bigint := 0;
        cash_today bigint := 0;
        last_heard_at timestamptz;
        data_age_ms bigint;
        since_heard_count bigint := 0;
        since_heard_minor bigint := 0;
        transaction_type text := substr(p_processing_code, 1, 2);
        verdict record;
        approved boolean;
        response json;
      begin
        perform standin_card_budget(p_deadline);
        perform pg_advisory_xact_lock(standin_card_message_lock(p_stan, p_rrn, p_terminal_id));
        select m.response into earlier from card_messages m where m.stan = p_stan and m.rrn = p_rrn and m.terminal_id = p_terminal_id;
        if found then
          return earlier;
        end if;

        -- The newest synced version of the card, with a freeze made in stand-in on top when it is
        -- newer than primary's last word (cancelled is final).
        select c.card_id, c.account_id, c.status, c.expiry::text as expiry, c.daily_cash_limit_minor, c.changed_at, f.frozen as own_frozen, f.created_at as own_at
        into card
        from (select * from synced_cards s where s.pan_lookup = p_pan_lookup order by s.sequence desc limit 1) c
        left join lateral (select z.frozen, z.created_at from card_freezes z where z.card_id = c.card_id order by z.id desc limit 1) f on true;
        if found then
          card_status := case
            when card.status = 'cancelled' or card.own_at is null or card.own_at <= card.changed_at then card.status
            when card.own_frozen then 'frozen'
            else 'active' end;
          -- One decision per account at a time: the same lock stand-in's other writers take.
          perform standin_card_budget(p_deadline);
          perform pg_advisory_xact_lock(hashtextextended(card.account_id::text, 7));
          -- The balance as stand-in sees it (views/balance-view.ts): newest synced balance plus own
          -- effects primary has not reflected yet, plus the overdraft limit.
          select b.settled_minor - b.held_minor + b.overdraft_limit_minor + coalesce((
                   select sum(own.amount_minor) from own_transactions own
                   where own.account_id = card.account_id and own.status not in ('reversed', 'rejected')
                     and not exists (
                       select 1 from synced_events seen
                       where seen.account_id = card.account_id and seen.correlation_id = own.correlation_id and seen.sequence <= b.sequence
                     )
                 ), 0)
          into spendable
          from (select * from synced_balances sb where sb.account_id = card.account_id order by sb.sequence desc limit 1) b;
          spendable := coalesce(spendable, 0);
          select coalesce(sum(m.remaining_minor), 0),
                 coalesce(sum(m.remaining_minor) filter (where m.card_id = card.card_id and m.processing_code like '01%'), 0)
          into approved_today, cash_today
          from card_messages m
          where m.account_id = card.account_id and m.kind = 'authorisation' and m.approved and m.received_at >= date_trunc('day', p_at, 'UTC');
          -- When primary was last heard from about the account (its newest synced event): the age of
          -- stand-in's data, and the start of the card's approvals "since last heard".
          select e.occurred_at into last_heard_at from synced_events e where e.account_id = card.account_id order by e.sequence desc limit 1;
          data_age_ms := floor(extract(epoch from p_at - last_heard_at) * 1000);
          -- Counted only when a limit asks for it: with none set (the default) it decides nothing.
          if (p_rules -> 'sinceLastHeard') ?| array['maxCount', 'maxAmountMinor'] then
            select count(*), coalesce(sum(m.remaining_minor), 0)
            into since_heard_count, since_heard_minor
            from card_messages m
            where m.account_id = card.account_id and m.kind = 'authorisation' and m.approved and m.card_id = card.card_id
              and substr(m.processing_code, 1, 2) = case when transaction_type = '01' then '01' else '00' end
              and (last_heard_at is null or m.received_at > last_heard_at);
          end if;
        end if;

        select v.code, v.why, v.rule into verdict from standin_card_rules_verdict(
          card.card_id is not null, card_status, card.expiry, card.daily_cash_limit_minor,
          coalesce(p_rules -> 'blockedCards' ? card.card_id::text, false),
          p_expiry, transaction_type, p_currency, p_amount_minor, spendable, approved_today, cash_today,
          since_heard_count, since_heard_minor, data_age_ms, p_at, p_rules) v;
        approved := verdict.code = '00';

        if approved then
          response := json_build_object(
            'mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id,
            'responseCode', verdict.code, 'authorisationCode', p_authorisation_code, 'approvedAmountMinor', p_amount_minor,
            'decidedBy', 'standin', 'reason', verdict.why);
          insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, merchant, card_id, created_at)
          values (p_correlation_id, card.account_id, case when transaction_type = '01' then 'cash_withdrawal' else 'card_payment' end,
                  case when p_mti = '0200' then 'settled' else 'pending' end, -p_amount_minor, p_merchant ->> 'name', p_merchant, card.card_id, p_at);
          perform standin_card_advice(card.account_id, p_correlation_id,
            case when transaction_type = '01' then 'cash.withdrawn' else 'card_payment.approved' end,
            jsonb_build_object('cardId', card.card_id, 'authorisation', jsonb_build_object(
              'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id, 'mti', p_mti, 'processingCode', p_processing_code,
              'amountMinor', p_amount_minor, 'currency', p_currency, 'merchant', p_merchant, 'authorisationCode', p_authorisation_code,
              'transmittedAt', p_transmitted_at)),
            p_at, p_advice_schema_version, p_deadline);
        else
          response := json_build_object(
            'mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id,
            'responseCode', verdict.code, 'approvedAmountMinor', 0, 'decidedBy', 'standin', 'reason', verdict.why);
          -- A decline on a card stand-in knows is advised too: it moves no money, but primary (the
          -- issuer) records what was answered in its name, and the rule that answered it.
          if card.card_id is not null then
            perform standin_card_advice(card.account_id, p_correlation_id, 'card_payment.declined',
              jsonb_build_object('cardId', card.card_id, 'authorisation', jsonb_build_object(
                'stan', p_stan::text, 'rrn', p_rrn::text, 'terminalId', p_terminal_id, 'mti', p_mti, 'processingCode', p_processing_code,
                'amountMinor', p_amount_minor, 'currency', p_currency, 'merchant', p_merchant, 'transmittedAt', p_transmitted_at,
                'responseCode', verdict.code, 'reason', left(verdict.why, 200))
                || case when verdict.rule is null then '{}'::jsonb else jsonb_build_object('rule', verdict.rule) end),
              p_at, p_advice_schema_version, p_deadline);
          end if;
        end if;

        insert into card_messages (stan, rrn, terminal_id, kind, card_id, account_id, processing_code, approved, amount_minor, remaining_minor, correlation_id, response, received_at, rule)
        values (p_stan, p_rrn, p_terminal_id, 'authorisation', card.card_id, card.account_id, p_processing_code, approved, p_amount_minor,
                case when approved then p_amount_minor else 0 end, case when card.card_id is not null then p_correlation_id end, response, p_at, verdict.rule);

        -- Past the deadline the caller has stopped waiting (and may have answered 91): roll back
        -- rather than commit an approval nobody heard.
        if clock_timestamp() > p_deadline then
          raise exception 'stand-in card budget exceeded before commit' using errcode = 'SI901';
        end if;
        return response;
      end $fn$;
    `,
  },
];
