import type { Migration } from '../platform/migrations';

// Stand-in's advices applied in the database, a whole batch's in one round trip: approvals, cash
// withdrawals, its reversals of them, Faster Payments in and out, freezes and unfreezes (all but
// its acknowledgements of primary's own reversals, rare, which stay in TypeScript). In TypeScript
// each one is up to a dozen round trips (an approval: its message key's lock, the lookup, the
// account's lock, the hold or the posting, the feed entry, the stored answer, the parked
// reversals, the events), so a batch of 200 spent most of its time waiting on the network between
// Node and PostgreSQL, not working.
//
// The TypeScript effects (recordStandinApproval and recordStandinReversal in
// card-processor/standin-advised.ts, moveMoney and the freeze in advice-applier.ts,
// claimForStandin in transfers/inbound-faster-payments.ts, cards.change) stay the specification,
// and the single-advice route still runs them; primary/test/advices-function.test.ts holds the two
// paths to the same ledger on random advice sequences. What the ledger guarantees stays in the
// database: journals balance (the deferred trigger), postings are append-only and move balances
// (their triggers), every event goes to the outbox in this transaction under the account's
// sequence (outbox_append, card_release_authorised: card-processor/004 and 006).
//
// It applies only the effects: whose turn it is, and the records of what was applied, stay with
// the batch (advice-batch.ts), which has already locked the accounts' advice_progress and ledger
// rows in id order. The internal rows the effects post to (the card scheme's and the Faster
// Payments scheme's shards, ledger/003 and 004) are locked here, all at once in id order, after
// the customers' (the ledger's order: a customer id sorts before 'internal:'), so two batches never
// take them in opposite orders, and the Faster Payments shards are held for this call and the
// batch's last few statements only.
//
// An approval whose message key has a parked reversal (the network reversed it before primary
// heard of it) is not applied here: that path (reverseWithin) lives in TypeScript only. The
// function answers `deferred` for it and for every later advice of its account in the call, and
// the batch applies those in TypeScript, in their order, in the same transaction.
export const advicesFunctionMigration: Migration = {
  id: 'advices/004-advices-in-one-round-trip',
  sql: `
    -- p_advices: advices of every type but card_payment.reversal_acknowledged, each account's in its order.
    -- One row per advice: its 1-based place in p_advices, whether it took the account past its
    -- limit, whether it was left for the TypeScript path, and why it moved nothing where it should have.
    create function advice_apply_in_database(p_advices jsonb, p_now timestamptz)
      returns table (ord integer, forced boolean, deferred boolean, note text) language plpgsql as $$
    declare
      item record;
      auth jsonb;
      v_card_id uuid;
      v_correlation_id uuid;
      v_amount bigint;
      v_transaction_type text;
      v_card_account_id uuid;
      account ledger_accounts%rowtype;
      v_available bigint;
      v_hold_id uuid;
      v_journal_id uuid;
      v_state text;
      v_card_status text;
      v_payload jsonb;
      v_received boolean;
      v_party jsonb;
      v_claimed text;
      v_original card_authorisations%rowtype;
      recorded transactions%rowtype;
      deferred_accounts uuid[] := '{}';
    begin
      -- every internal row the call posts to, in id order, once: card scheme shards then Faster Payments shards
      perform 1 from ledger_accounts where id in (
        select card_scheme_account(a.value->>'accountId') from jsonb_array_elements(p_advices) a
         where a.value->'payload'->'authorisation'->>'mti' = '0200'
            or (a.value->>'type' = 'card_payment.reversed' and exists (select 1 from card_authorisations o
                 where o.stan = (a.value->'payload'->'original'->>'stan')::char(6) and o.rrn = (a.value->'payload'->'original'->>'rrn')::char(12)
                   and o.terminal_id = a.value->'payload'->'original'->>'terminalId' and o.state = 'posted'))
        union
        select faster_payments_account(a.value->>'accountId') from jsonb_array_elements(p_advices) a
         where a.value->>'type' in ('transfer.sent', 'transfer.received'))
        order by id for update;
      for item in select a.value as advice, a.ordinality::integer as place from jsonb_array_elements(p_advices) with ordinality a loop
        ord := item.place;
        forced := false;
        deferred := false;
        note := null;
        if (item.advice->>'accountId')::uuid = any(deferred_accounts) then
          deferred := true;
          return next;
          continue;
        end if;
        v_card_id := (item.advice->'payload'->>'cardId')::uuid;
        v_correlation_id := (item.advice->>'correlationId')::uuid;

        if item.advice->>'type' in ('card.frozen', 'card.unfrozen') then
          -- the effect in advice-applier.ts and cards.change: cancelled is final; no change, no event
          v_state := case when item.advice->>'type' = 'card.frozen' then 'frozen' else 'active' end;
          select c.status, c.account_id into v_card_status, v_card_account_id from cards c where c.id = v_card_id for update;
          if found and v_card_status <> 'cancelled' and v_card_status <> v_state then
            update cards set status = v_state where id = v_card_id;
            perform outbox_append(v_card_account_id, 'card.status_changed', null,
              jsonb_build_object('cardId', v_card_id, 'status', v_state, 'reason', 'applied from stand-in'), p_now);
          end if;
          return next;
          continue;
        end if;

        if item.advice->>'type' in ('transfer.sent', 'transfer.received') then
          -- the effect in advice-applier.ts (moveMoney) and inboundFasterPayments.claimForStandin
          v_payload := item.advice->'payload';
          v_received := item.advice->>'type' = 'transfer.received';
          v_amount := case when v_received then 1 else -1 end * (v_payload->>'amountMinor')::bigint;
          v_party := v_payload->case when v_received then 'debtor' else 'creditor' end;
          if v_received then
            -- the payment id is credited once by the bank: claimed here, or already claimed
            insert into faster_payments (fps_id, direction, account_id, amount_minor, response, created_at)
              values (v_payload->>'fpsId', 'inbound', (item.advice->>'accountId')::uuid, v_amount,
                      json_build_object('fpsId', v_payload->>'fpsId', 'status', 'accepted', 'decidedBy', 'standin'), p_now)
              on conflict (fps_id, direction) do nothing;
            if not found then
              select (f.response->>'status') into v_claimed from faster_payments f where f.fps_id = v_payload->>'fpsId' and f.direction = 'inbound' for update;
              if v_claimed = 'accepted' then
                note := 'Faster Payment ' || (v_payload->>'fpsId') || ' was already credited by primary';
                return next;
                continue;
              end if;
              update faster_payments set account_id = (item.advice->>'accountId')::uuid,
                     response = json_build_object('fpsId', v_payload->>'fpsId', 'status', 'accepted', 'decidedBy', 'standin')
               where fps_id = v_payload->>'fpsId' and direction = 'inbound';
            end if;
          end if;
          select * into account from ledger_accounts where id = item.advice->>'accountId' for update;
          v_available := account.settled_minor - account.held_minor + account.overdraft_limit_minor;
          forced := v_available + least(v_amount, 0) < 0;
          -- ledger.post, forced: only a debit past the limit marks the journal and flags the account
          if v_amount < 0 and forced then update ledger_accounts set unapproved_overdraft = true where id = account.id; end if;
          v_journal_id := gen_random_uuid();
          insert into journals (id, kind, description, correlation_id, forced, created_at)
            values (v_journal_id, case when v_received then 'faster_payment.inbound' else 'faster_payment.outbound' end,
                    case when coalesce(v_payload->>'reference', '') <> '' then (v_party->>'name') || ': ' || (v_payload->>'reference') else v_party->>'name' end,
                    v_correlation_id, v_amount < 0 and forced, p_now);
          insert into postings (journal_id, ledger_account_id, amount_minor) values
            (v_journal_id, account.id, v_amount), (v_journal_id, faster_payments_account(account.id), -v_amount);
          perform ledger_announce_balance(account.id, v_correlation_id, p_now);
          insert into transactions (id, account_id, kind, status, amount_minor, currency, description, merchant, counterparty, card_id, correlation_id, fps_id, created_at)
            values (gen_random_uuid(), (item.advice->>'accountId')::uuid, case when v_received then 'faster_payment_in' else 'faster_payment_out' end,
                    'settled', v_amount, 'GBP',
                    case when coalesce(v_payload->>'reference', '') <> '' then (v_party->>'name') || ': ' || (v_payload->>'reference') else v_party->>'name' end,
                    null, v_party, null, v_correlation_id, v_payload->>'fpsId', p_now)
            returning * into recorded;
          perform feed_announce(recorded, p_now);
          return next;
          continue;
        end if;

        if item.advice->>'type' = 'card_payment.reversed' then
          -- recordStandinReversal (standin-advised.ts): down to what stand-in says remains, never further
          select * into v_original from card_authorisations o
           where o.stan = (item.advice->'payload'->'original'->>'stan')::char(6) and o.rrn = (item.advice->'payload'->'original'->>'rrn')::char(12)
             and o.terminal_id = item.advice->'payload'->'original'->>'terminalId' for update;
          if found and v_original.account_id is not null and v_original.state in ('held', 'posted') then
            v_amount := least((item.advice->'payload'->>'reversedAmountMinor')::bigint,
                              v_original.outstanding_minor - (item.advice->'payload'->>'remainingAmountMinor')::bigint);
            if v_amount > 0 then perform card_release_authorised(v_original.id, v_amount, v_correlation_id, 'reversal (stand-in)', p_now); end if;
          end if;
          return next;
          continue;
        end if;

        auth := item.advice->'payload'->'authorisation';
        v_amount := (auth->>'amountMinor')::bigint;
        -- lockOriginal: the message key's lock, before the account's (card_authorise's order)
        perform pg_advisory_xact_lock(hashtextextended((auth->>'stan') || '/' || (auth->>'rrn') || '/' || (auth->>'terminalId'), 7420));
        perform 1 from card_authorisations a
          where a.stan = (auth->>'stan')::char(6) and a.rrn = (auth->>'rrn')::char(12) and a.terminal_id = auth->>'terminalId' for update;
        if found then
          -- already recorded (primary approved it itself, or an earlier copy): nothing moves
          return next;
          continue;
        end if;
        if exists (select 1 from reversals_awaiting_authorisation r
                    where r.original_stan = (auth->>'stan')::char(6) and r.original_rrn = (auth->>'rrn')::char(12)
                      and r.original_terminal_id = auth->>'terminalId' and (r.card_id is null or r.card_id = v_card_id)) then
          deferred_accounts := deferred_accounts || (item.advice->>'accountId')::uuid;
          deferred := true;
          return next;
          continue;
        end if;

        select c.account_id into v_card_account_id from cards c where c.id = v_card_id;
        if not found then raise exception 'stand-in advised a payment on card %, which primary does not know', v_card_id; end if;
        select * into account from ledger_accounts where id = v_card_account_id::text for update;
        v_available := account.settled_minor - account.held_minor + account.overdraft_limit_minor;
        forced := v_available < v_amount;
        v_transaction_type := case left(auth->>'processingCode', 2) when '00' then 'purchase' when '01' then 'cash' when '20' then 'refund' else 'unsupported' end;
        v_hold_id := null;
        if auth->>'mti' = '0100' then
          -- placeHold, forced: a dual message is held until its clearing
          if forced then update ledger_accounts set unapproved_overdraft = true where id = account.id; end if;
          v_hold_id := gen_random_uuid();
          insert into holds (id, ledger_account_id, amount_minor, status, created_at) values (v_hold_id, account.id, v_amount, 'open', p_now);
          update ledger_accounts set held_minor = held_minor + v_amount where id = account.id;
          v_state := 'held';
        else
          -- ledger.post, forced: a single message is posted against the card scheme's shard
          if forced then update ledger_accounts set unapproved_overdraft = true where id = account.id; end if;
          v_journal_id := gen_random_uuid();
          insert into journals (id, kind, description, correlation_id, forced, created_at)
            values (v_journal_id, case when v_transaction_type = 'cash' then 'card.cash_withdrawal' else 'card.financial' end,
                    auth->'merchant'->>'name', v_correlation_id, forced, p_now);
          insert into postings (journal_id, ledger_account_id, amount_minor) values
            (v_journal_id, account.id, -v_amount), (v_journal_id, card_scheme_account(account.id), v_amount);
          v_state := 'posted';
        end if;
        perform ledger_announce_balance(account.id, v_correlation_id, p_now);

        insert into transactions (id, account_id, kind, status, amount_minor, currency, description, merchant, counterparty, card_id, correlation_id, fps_id, created_at)
          values (gen_random_uuid(), v_card_account_id, case when v_transaction_type = 'cash' then 'cash_withdrawal' else 'card_payment' end,
                  case when v_state = 'posted' then 'settled' else 'pending' end, -v_amount, auth->>'currency', auth->'merchant'->>'name',
                  auth->'merchant', null, v_card_id, v_correlation_id, null, p_now)
          returning * into recorded;
        perform feed_announce(recorded, p_now);

        insert into card_authorisations
          (id, stan, rrn, terminal_id, card_id, account_id, mti, processing_code, amount_minor, outstanding_minor, response, approved, hold_id, transaction_id, correlation_id, state, created_at)
          values (gen_random_uuid(), auth->>'stan', auth->>'rrn', auth->>'terminalId', v_card_id, v_card_account_id, auth->>'mti', auth->>'processingCode', v_amount, v_amount,
            json_build_object('mti', case when auth->>'mti' = '0100' then '0110' else '0210' end, 'stan', auth->>'stan', 'rrn', auth->>'rrn',
              'terminalId', auth->>'terminalId', 'responseCode', '00', 'authorisationCode', auth->>'authorisationCode', 'approvedAmountMinor', v_amount,
              'decidedBy', 'standin', 'reason', 'approved by stand-in; applied from its advice'),
            true, v_hold_id, recorded.id, v_correlation_id, v_state, (auth->>'transmittedAt')::timestamptz);
        return next;
      end loop;
    end $$;
  `,
};
