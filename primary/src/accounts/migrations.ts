import type { Migration } from '../platform/migrations';

export const accountsMigrations: Migration[] = [
  {
    id: 'accounts/001-customers-accounts',
    sql: `
      create table customers (
        id uuid primary key,
        name text not null,
        created_at timestamptz not null
      );
      create table customer_tokens (
        -- sha-256 of the bearer token: a database leak does not leak usable tokens
        token_sha256 bytea primary key,
        customer_id uuid not null references customers (id)
      );
      create table accounts (
        id uuid primary key,
        customer_id uuid not null references customers (id),
        sort_code char(6) not null,
        account_number char(8) not null,
        holder_name text not null,
        status text not null check (status in ('open', 'restricted', 'closed')),
        created_at timestamptz not null,
        unique (sort_code, account_number)
      );
      create index accounts_by_customer on accounts (customer_id);
    `,
  },
  {
    // Who arranged which overdraft, when and why: an overdraft is lent money, so each change is an
    // operator's approved decision, recorded in the same transaction as the new limit.
    id: 'accounts/002-arranged-overdraft-changes',
    sql: `
      create table arranged_overdraft_changes (
        id uuid primary key,
        account_id uuid not null references accounts (id),
        previous_limit_minor bigint not null check (previous_limit_minor >= 0),
        limit_minor bigint not null check (limit_minor >= 0),
        approved_by text not null,
        reason text not null,
        approved_at timestamptz not null
      );
      create index arranged_overdraft_changes_by_account on arranged_overdraft_changes (account_id, approved_at desc);
    `,
  },
  {
    id: 'accounts/003-arranged-overdraft-change-order',
    sql: `
      -- Two changes with the same approved_at (one clock tick, or a test's fixed clock) came back
      -- in the order of their random ids: the order they were made in is kept here.
      alter table arranged_overdraft_changes add column position bigint generated always as identity;
    `,
  },
  {
    // Issue 17: an app token ends, by its expiry or an operator's revocation, and each revocation is
    // audited. Tokens issued before expiry existed are given the default lifetime from now: none is
    // left valid for ever.
    id: 'accounts/004-customer-token-expiry-revocation',
    sql: `
      alter table customer_tokens
        add column issued_at timestamptz,
        add column expires_at timestamptz,
        add column revoked_at timestamptz;
      update customer_tokens set issued_at = now(), expires_at = now() + interval '30 days';
      alter table customer_tokens alter column issued_at set not null, alter column expires_at set not null;
      create index customer_tokens_by_customer on customer_tokens (customer_id);
      create table customer_token_revocations (
        id uuid primary key,
        customer_id uuid not null references customers (id),
        revoked_by text not null,
        reason text not null,
        tokens_revoked integer not null check (tokens_revoked >= 0),
        revoked_at timestamptz not null,
        position bigint generated always as identity
      );
      create index customer_token_revocations_by_customer on customer_token_revocations (customer_id, position desc);
    `,
  },
];
