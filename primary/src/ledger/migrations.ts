import type { Migration } from '../platform/migrations';

export const ledgerMigrations: Migration[] = [
  {
    id: 'ledger/001-double-entry',
    sql: `
      create table ledger_accounts (
        id text primary key,
        kind text not null check (kind in ('customer', 'pot', 'internal')),
        -- the customer account whose events announce this ledger account's balance
        owner_account_id uuid,
        settled_minor bigint not null default 0,
        held_minor bigint not null default 0 check (held_minor >= 0),
        overdraft_limit_minor bigint not null default 0 check (overdraft_limit_minor >= 0),
        unapproved_overdraft boolean not null default false
      );

      create table journals (
        id uuid primary key,
        kind text not null,
        description text not null,
        correlation_id uuid,
        -- set when primary forced a posting past the overdraft limit (an advice, an over-clearing)
        forced boolean not null default false,
        created_at timestamptz not null
      );

      create table postings (
        id bigserial primary key,
        journal_id uuid not null references journals (id),
        ledger_account_id text not null references ledger_accounts (id),
        amount_minor bigint not null check (amount_minor <> 0)
      );
      create index postings_by_account on postings (ledger_account_id, id);
      create index postings_by_journal on postings (journal_id);

      -- Balances change only with postings: the same statement that records a posting moves it.
      create function apply_posting() returns trigger language plpgsql as $$
      begin
        update ledger_accounts set settled_minor = settled_minor + new.amount_minor where id = new.ledger_account_id;
        if not found then raise exception 'posting to unknown ledger account %', new.ledger_account_id; end if;
        return new;
      end $$;
      create trigger postings_apply after insert on postings for each row execute function apply_posting();

      -- Every journal sums to zero, checked at commit when all its postings are in.
      create function check_journal_balanced() returns trigger language plpgsql as $$
      declare total bigint; lines integer;
      begin
        select coalesce(sum(amount_minor), 0), count(*) into total, lines from postings where journal_id = new.journal_id;
        if total <> 0 or lines < 2 then
          raise exception 'journal % does not balance: % postings summing to %', new.journal_id, lines, total using errcode = '23514';
        end if;
        return null;
      end $$;
      create constraint trigger postings_balanced after insert on postings deferrable initially deferred
        for each row execute function check_journal_balanced();

      -- Postings are history: never changed, never removed.
      create function reject_change() returns trigger language plpgsql as $$
      begin raise exception '% on % is not allowed: the ledger is append-only', tg_op, tg_table_name; end $$;
      create trigger postings_append_only before update or delete on postings for each row execute function reject_change();

      create table holds (
        id uuid primary key,
        ledger_account_id text not null references ledger_accounts (id),
        amount_minor bigint not null check (amount_minor >= 0),
        status text not null check (status in ('open', 'released', 'settled')),
        created_at timestamptz not null
      );
      create index holds_open on holds (ledger_account_id) where status = 'open';
    `,
  },
];

ledgerMigrations.push({
  id: 'ledger/002-internal-accounts',
  sql: `
    insert into ledger_accounts (id, kind) values
      ('internal:card-scheme', 'internal'),
      ('internal:faster-payments', 'internal');
  `,
});

ledgerMigrations.push({
  id: 'ledger/003-card-scheme-shards',
  sql: `
    -- The card scheme's side of every cash withdrawal, card reversal and clearing was one row,
    -- locked and updated by each of them: every card posting in the bank queued on it. Now
    -- CARD_SCHEME_SHARDS rows, each customer account's postings on the one its id's last hex digit
    -- names (cardSchemeAccount in ledger.ts). The scheme's position is the sum of all of them and of
    -- the original row, which keeps the history posted before. Journals still balance: a shard is
    -- an ordinary internal ledger account.
    insert into ledger_accounts (id, kind) select 'internal:card-scheme:' || to_hex(shard), 'internal' from generate_series(0, 15) shard;
    create function card_scheme_account(p_ledger_account_id text) returns text language sql immutable as $$
      select 'internal:card-scheme:' || right(p_ledger_account_id, 1)
    $$;
  `,
});

ledgerMigrations.push({
  id: 'ledger/004-faster-payments-shards',
  sql: `
    -- The Faster Payments scheme's side of every payment in and out was one row, locked until each
    -- transaction committed: customers' transfers and batches of stand-in's advices queued on it.
    -- Now FASTER_PAYMENTS_SHARDS rows, as the card scheme's (ledger/003); the scheme's position is
    -- the sum of them and of the original row, which keeps the history posted before.
    insert into ledger_accounts (id, kind) select 'internal:faster-payments:' || to_hex(shard), 'internal' from generate_series(0, 15) shard;
    create function faster_payments_account(p_ledger_account_id text) returns text language sql immutable as $$
      select 'internal:faster-payments:' || right(p_ledger_account_id, 1)
    $$;
  `,
});
