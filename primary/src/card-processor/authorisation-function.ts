import type { Migration } from '../platform/migrations';

// Primary's card authorisation in one database round trip (issue 15): the decision and every
// write it makes, in one PL/pgSQL function called as a prepared statement in its own implicit
// transaction. Before, the same work took about 17 round trips and held the account's row lock
// across 13 of them. What the ledger guarantees stays in the database: journals balance (the
// deferred constraint trigger), postings are append-only (their trigger), balances move only by
// postings (their trigger), every event is written to the outbox in the same transaction under the
// per-account sequence taken while the account's row is locked.
//
// `card_authorisation_decision` is the SQL twin of `decideAuthorisation` (authorisation-decision.ts),
// which stays the specification: a property-based test (primary/test/authorisation-function.test.ts)
// holds the two to the same answers on random cases, and the whole function to the TypeScript path's.
//
// The budget: `p_deadline_at` is the wall-clock instant after which nobody waits for the answer
// (the network has heard 91, or is about to). Each lock wait gets only what remains of it
// (lock_timeout, set local), and the function checks the clock before it returns: past the
// deadline it raises query_canceled (57014) and the transaction rolls back, so a database that was
// paused (SIGSTOP) and resumes does not approve what the network already took as declined.
export const authorisationFunctionMigration: Migration = {
  id: 'card-processor/004-authorise-in-one-round-trip',
  sql: `
    -- Raises query_canceled once the deadline has passed; otherwise gives the next lock wait what remains.
    create function card_budget_check(p_deadline_at timestamptz, p_what text) returns void language plpgsql as $$
    declare remaining_ms bigint := floor(extract(epoch from (p_deadline_at - clock_timestamp())) * 1000);
    begin
      if remaining_ms <= 0 then
        raise exception 'card authorisation budget spent (%)', p_what using errcode = '57014';
      end if;
      -- set local: for the rest of this transaction only. (statement_timeout is armed when a
      -- statement starts, so for the one statement this call is, the card pool's own
      -- statement_timeout is the backstop and these checks are the deadline.)
      perform set_config('lock_timeout', remaining_ms || 'ms', true);
    end $$;

    -- appendEvent (outbox/outbox.ts) in SQL: the next per-account sequence (its row locked to commit) and the envelope.
    create function outbox_append(p_account_id uuid, p_type text, p_correlation_id uuid, p_payload jsonb, p_now timestamptz) returns void language plpgsql as $$
    declare next_sequence integer; event_id uuid := gen_random_uuid();
    begin
      insert into event_sequences (account_id, last_sequence) values (p_account_id, 1)
        on conflict (account_id) do update set last_sequence = event_sequences.last_sequence + 1
        returning last_sequence into next_sequence;
      insert into outbox_events (event_id, account_id, sequence, event) values (event_id, p_account_id, next_sequence,
        jsonb_build_object(
          'eventId', event_id, 'type', p_type, 'accountId', p_account_id, 'sequence', next_sequence,
          'occurredAt', to_char(p_now at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'schemaVersion', 1, 'payload', p_payload)
        || case when p_correlation_id is null then '{}'::jsonb else jsonb_build_object('correlationId', p_correlation_id) end);
    end $$;

    -- The ledger's announceBalances for one ledger account: a customer's balance after the change.
    create function ledger_announce_balance(p_ledger_account_id text, p_correlation_id uuid, p_now timestamptz) returns void language plpgsql as $$
    declare account ledger_accounts%rowtype;
    begin
      select * into account from ledger_accounts where id = p_ledger_account_id and kind = 'customer';
      if not found then return; end if;
      perform outbox_append(account.owner_account_id, 'balance.changed', p_correlation_id,
        jsonb_build_object('settledBalanceMinor', account.settled_minor, 'heldMinor', account.held_minor,
                           'overdraftLimitMinor', account.overdraft_limit_minor, 'currency', 'GBP'), p_now);
    end $$;

    -- The feed's announce: a transaction's full current state.
    create function feed_announce(p_transaction transactions, p_now timestamptz) returns void language plpgsql as $$
    begin
      perform outbox_append(p_transaction.account_id, 'transaction.recorded', p_transaction.correlation_id, jsonb_strip_nulls(jsonb_build_object(
        'transactionId', p_transaction.id, 'kind', p_transaction.kind, 'status', p_transaction.status,
        'amountMinor', p_transaction.amount_minor, 'currency', p_transaction.currency, 'description', p_transaction.description,
        'merchant', p_transaction.merchant, 'counterparty', p_transaction.counterparty, 'cardId', p_transaction.card_id,
        'fpsId', p_transaction.fps_id,
        'createdAt', to_char(p_transaction.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))), p_now);
    end $$;

    -- decideAuthorisation (authorisation-decision.ts), the same rules in the same order.
    create function card_authorisation_decision(
      p_card_found boolean, p_card_status text, p_card_expiry text, p_daily_cash_limit_minor bigint,
      p_request_expiry text, p_type text, p_amount_minor bigint, p_currency text,
      p_available_minor bigint, p_cash_today_minor bigint, p_now timestamptz,
      out response_code text, out reason text) language plpgsql stable as $$
    begin
      if not p_card_found then response_code := '14'; reason := 'unknown card';
      elsif p_card_status = 'cancelled' then response_code := '05'; reason := 'card cancelled';
      elsif p_card_status = 'frozen' then response_code := '62'; reason := 'card frozen';
      -- valid through the last day of its expiry month (UTC): isExpired in cards/pan.ts
      elsif (p_now at time zone 'UTC') >= make_timestamp(2000 + substr(p_card_expiry, 1, 2)::int, 1, 1, 0, 0, 0) + make_interval(months => substr(p_card_expiry, 3, 2)::int)
        then response_code := '54'; reason := 'card expired';
      elsif p_request_expiry <> p_card_expiry then response_code := '54'; reason := 'expiry date does not match the card';
      elsif p_type = 'unsupported' then response_code := '12'; reason := 'processing code not supported';
      elsif p_currency <> 'GBP' then response_code := '57'; reason := 'only GBP transactions are supported';
      elsif p_type = 'refund' then response_code := '00'; reason := 'refund authorised';
      elsif p_type = 'cash' and p_cash_today_minor + p_amount_minor > p_daily_cash_limit_minor then response_code := '61'; reason := 'daily cash withdrawal limit exceeded';
      elsif p_available_minor < p_amount_minor then response_code := '51'; reason := 'insufficient funds';
      else response_code := '00'; reason := 'approved';
      end if;
    end $$;

    -- releaseAuthorised (card-processor.ts) for the reversal path's release: a hold released, or a
    -- posted one credited back, and the authorisation and its feed entry brought down to what remains.
    create function card_release_authorised(p_authorisation_id uuid, p_release_minor bigint, p_correlation_id uuid, p_description text, p_now timestamptz) returns void language plpgsql as $$
    declare
      original card_authorisations%rowtype;
      hold holds%rowtype;
      released bigint;
      remaining bigint;
      journal_id uuid;
      updated transactions%rowtype;
      sign integer;
    begin
      select * into original from card_authorisations where id = p_authorisation_id for update;
      if p_release_minor > 0 and original.hold_id is not null then
        perform 1 from ledger_accounts where id = original.account_id::text for update;
        select * into hold from holds where id = original.hold_id for update;
        if hold.status = 'open' then
          released := least(p_release_minor, hold.amount_minor);
          update holds set amount_minor = hold.amount_minor - released, status = case when hold.amount_minor - released = 0 then 'released' else 'open' end where id = hold.id;
          update ledger_accounts set held_minor = held_minor - released where id = hold.ledger_account_id;
          perform ledger_announce_balance(hold.ledger_account_id, p_correlation_id, p_now);
        end if;
      elsif p_release_minor > 0 and original.state = 'posted' then
        -- account first, then the scheme's: the ledger's lock order (ids sorted)
        perform 1 from ledger_accounts where id in (original.account_id::text, 'internal:card-scheme') order by id for update;
        journal_id := gen_random_uuid();
        insert into journals (id, kind, description, correlation_id, forced, created_at) values (journal_id, 'card.reversal', p_description, p_correlation_id, false, p_now);
        insert into postings (journal_id, ledger_account_id, amount_minor) values
          (journal_id, original.account_id::text, p_release_minor), (journal_id, 'internal:card-scheme', -p_release_minor);
        perform ledger_announce_balance(original.account_id::text, p_correlation_id, p_now);
      end if;
      remaining := original.outstanding_minor - p_release_minor;
      update card_authorisations set outstanding_minor = remaining, state = case when remaining = 0 then 'reversed' else original.state end where id = original.id;
      if original.transaction_id is not null then
        sign := case when left(original.processing_code, 2) = '20' then 1 else -1 end;
        update transactions set
          status = case when remaining = 0 then 'reversed' when original.state = 'posted' then 'settled' else 'pending' end,
          amount_minor = case when remaining = 0 then amount_minor else sign * remaining end
          where id = original.transaction_id returning * into updated;
        perform feed_announce(updated, p_now);
      end if;
    end $$;

    -- The whole authorisation. Returns the answer, and whether it is a repeat's stored answer.
    create function card_authorise(
      -- char, as the columns are: a text parameter would compare the columns as text and miss their index
      p_stan char(6), p_rrn char(12), p_terminal_id text, p_pan_index bytea, p_mti text, p_processing_code text,
      p_amount_minor bigint, p_currency text, p_request_expiry text, p_merchant jsonb,
      p_now timestamptz, p_correlation_id uuid, p_authorisation_code text, p_deadline_at timestamptz,
      out response json, out repeated boolean) language plpgsql as $$
    declare
      card cards%rowtype;
      account ledger_accounts%rowtype;
      transaction_type text := case left(p_processing_code, 2) when '00' then 'purchase' when '01' then 'cash' when '20' then 'refund' else 'unsupported' end;
      available_minor bigint := 0;
      cash_today_minor bigint := 0;
      decision record;
      approved boolean;
      hold_id uuid;
      transaction_id uuid;
      state text := 'declined';
      journal_id uuid;
      recorded transactions%rowtype;
      authorisation_id uuid := gen_random_uuid();
      parked record;
      original card_authorisations%rowtype;
      stays_authorised bigint;
    begin
      perform card_budget_check(p_deadline_at, 'before the message key''s lock');
      -- The message key's lock (the same one reversals park under): a concurrent repeat waits here
      -- and then finds this answer; a reversal of this message waits, and then finds it too.
      perform pg_advisory_xact_lock(hashtextextended(p_stan || '/' || p_rrn || '/' || p_terminal_id, 7420));
      select a.response into response from card_authorisations a where a.stan = p_stan and a.rrn = p_rrn and a.terminal_id = p_terminal_id;
      if found then
        repeated := true;
        return;
      end if;
      repeated := false;

      select * into card from cards where pan_index = p_pan_index;
      if found then
        perform card_budget_check(p_deadline_at, 'before the account''s lock');
        -- Decisions on one account are serial from here to commit.
        select * into account from ledger_accounts where id = card.account_id::text for update;
        if not found then raise exception 'unknown ledger accounts: %', card.account_id; end if;
        available_minor := account.settled_minor - account.held_minor + account.overdraft_limit_minor;
        if transaction_type = 'cash' then
          select coalesce(sum(a.outstanding_minor), 0) into cash_today_minor from card_authorisations a
           where a.card_id = card.id and a.approved and a.processing_code like '01%'
             and a.created_at >= (date_trunc('day', p_now at time zone 'UTC') at time zone 'UTC');
        end if;
      end if;

      select * into decision from card_authorisation_decision(card.id is not null, card.status, card.expiry, card.daily_cash_limit_minor,
        p_request_expiry, transaction_type, p_amount_minor, p_currency, available_minor, cash_today_minor, p_now);
      approved := decision.response_code = '00';
      if approved then
        response := json_build_object('mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan, 'rrn', p_rrn, 'terminalId', p_terminal_id,
          'responseCode', decision.response_code, 'authorisationCode', p_authorisation_code, 'approvedAmountMinor', p_amount_minor, 'decidedBy', 'primary', 'reason', decision.reason);
      else
        response := json_build_object('mti', case when p_mti = '0100' then '0110' else '0210' end, 'stan', p_stan, 'rrn', p_rrn, 'terminalId', p_terminal_id,
          'responseCode', decision.response_code, 'approvedAmountMinor', 0, 'decidedBy', 'primary', 'reason', decision.reason);
      end if;

      if card.id is not null then
        if approved and transaction_type <> 'refund' then
          if p_mti = '0100' then
            -- a dual message: a hold, settled later by its clearing
            hold_id := gen_random_uuid();
            insert into holds (id, ledger_account_id, amount_minor, status, created_at) values (hold_id, account.id, p_amount_minor, 'open', p_now);
            update ledger_accounts set held_minor = held_minor + p_amount_minor where id = account.id;
            state := 'held';
          else
            -- a single message (ATM cash): posted now, against the scheme's account
            perform card_budget_check(p_deadline_at, 'before the scheme account''s lock');
            perform 1 from ledger_accounts where id = 'internal:card-scheme' for update;
            journal_id := gen_random_uuid();
            insert into journals (id, kind, description, correlation_id, forced, created_at)
              values (journal_id, case when transaction_type = 'cash' then 'card.cash_withdrawal' else 'card.financial' end, p_merchant->>'name', p_correlation_id, false, p_now);
            insert into postings (journal_id, ledger_account_id, amount_minor) values
              (journal_id, account.id, -p_amount_minor), (journal_id, 'internal:card-scheme', p_amount_minor);
            state := 'posted';
          end if;
          perform ledger_announce_balance(account.id, p_correlation_id, p_now);
        elsif approved then
          state := 'held'; -- a refund authorisation moves nothing until it clears
        end if;
        insert into transactions (id, account_id, kind, status, amount_minor, currency, description, merchant, card_id, correlation_id, created_at)
          values (gen_random_uuid(), card.account_id,
            case transaction_type when 'cash' then 'cash_withdrawal' when 'refund' then 'card_refund' else 'card_payment' end,
            case when not approved then 'declined' when state = 'posted' then 'settled' else 'pending' end,
            case when transaction_type = 'refund' then p_amount_minor else -p_amount_minor end,
            p_currency, p_merchant->>'name', p_merchant, card.id, p_correlation_id, p_now)
          returning * into recorded;
        transaction_id := recorded.id;
        perform feed_announce(recorded, p_now);
      end if;

      insert into card_authorisations
        (id, stan, rrn, terminal_id, card_id, account_id, mti, processing_code, amount_minor, outstanding_minor, response, approved, hold_id, transaction_id, correlation_id, state, created_at)
        values (authorisation_id, p_stan, p_rrn, p_terminal_id, card.id, card.account_id, p_mti, p_processing_code, p_amount_minor,
          case when approved then p_amount_minor else 0 end, response, approved, hold_id, transaction_id, p_correlation_id, state, p_now);

      -- The network may have timed out on us and reversed this while we decided: its reversal,
      -- answered and parked meanwhile, applies now, in arrival order (reverseWithin, answer already given).
      if approved then
        for parked in
          with removed as (
            delete from reversals_awaiting_authorisation r
             where r.original_stan = p_stan and r.original_rrn = p_rrn and r.original_terminal_id = p_terminal_id
             returning r.reversal, r.received_at)
          select * from removed order by received_at
        loop
          select * into original from card_authorisations where id = authorisation_id;
          if original.account_id is not null and original.state in ('held', 'posted') then
            stays_authorised := least(coalesce((parked.reversal->>'replacementAmountMinor')::bigint, 0), original.outstanding_minor);
            perform card_release_authorised(authorisation_id, original.outstanding_minor - stays_authorised, original.correlation_id, 'reversal', p_now);
          end if;
        end loop;
      end if;

      -- Past the deadline the network has heard 91: roll back rather than commit a decision nobody waits for.
      perform card_budget_check(p_deadline_at, 'before commit');
    end $$;
  `,
};

/** `base` with each `before` replaced by its `after`; each must stand in `base` exactly once (a 004 that changed would fail here, loudly). */
function revised(base: string, changes: readonly { readonly before: string; readonly after: string }[]): string {
  return changes.reduce((text, { before, after }) => {
    const at = text.indexOf(before);
    if (at < 0 || text.indexOf(before, at + 1) >= 0) throw new Error(`migration revision: expected exactly one ${JSON.stringify(before.slice(0, 60))}`);
    return text.slice(0, at) + after + text.slice(at + before.length);
  }, base);
}

/** The two functions of 004 that post to the card scheme or apply parked reversals, as 004 wrote them. */
const releaseAndAuthoriseOf004 = authorisationFunctionMigration.sql.slice(
  authorisationFunctionMigration.sql.indexOf('    -- releaseAuthorised (card-processor.ts)'),
);

// 006: card_release_authorised and card_authorise as in 004 with three changes. (1) Their card
// postings go to the card scheme's shard for the account (ledger/003), not the one hot row every
// card posting in the bank used to lock. (2) A reversal parked for a message key records the card
// it names, and applies only to an authorisation of that card: a reversal naming another card (or
// a mistyped key) must not release this customer's money; it stays parked until the hold expiry
// removes it with a log line. Rows parked before this migration have no card and apply as before.
export const schemeShardsAndParkedCardMigration: Migration = {
  id: 'card-processor/006-scheme-shards-and-parked-reversal-card',
  sql: `
    alter table reversals_awaiting_authorisation add column card_id uuid;
    ${revised(releaseAndAuthoriseOf004.replaceAll('    create function card_', '    create or replace function card_'), [
      {
        before: "where id in (original.account_id::text, 'internal:card-scheme') order by id for update;",
        after: 'where id in (original.account_id::text, card_scheme_account(original.account_id::text)) order by id for update;',
      },
      {
        before: "(journal_id, original.account_id::text, p_release_minor), (journal_id, 'internal:card-scheme', -p_release_minor);",
        after: '(journal_id, original.account_id::text, p_release_minor), (journal_id, card_scheme_account(original.account_id::text), -p_release_minor);',
      },
      {
        before: "perform 1 from ledger_accounts where id = 'internal:card-scheme' for update;",
        after: 'perform 1 from ledger_accounts where id = card_scheme_account(account.id) for update;',
      },
      {
        before: "(journal_id, account.id, -p_amount_minor), (journal_id, 'internal:card-scheme', p_amount_minor);",
        after: '(journal_id, account.id, -p_amount_minor), (journal_id, card_scheme_account(account.id), p_amount_minor);',
      },
      {
        before: 'where r.original_stan = p_stan and r.original_rrn = p_rrn and r.original_terminal_id = p_terminal_id',
        after:
          'where r.original_stan = p_stan and r.original_rrn = p_rrn and r.original_terminal_id = p_terminal_id and (r.card_id is null or r.card_id = card.id)',
      },
    ])}
  `,
};
