import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../platform/clock';
import type { Db, Tx } from '../platform/db';
import { appendEvent } from '../outbox/outbox';

// The ledger: double-entry journals in integer pence, balances moved by the postings
// themselves (a trigger), holds for authorised-not-yet-cleared card payments. Each mutation
// locks the ledger accounts it touches, in id order, so work on different accounts runs in
// parallel and work on one account is serial. Nothing here uses a global lock.

export const INTERNAL_ACCOUNTS = {
  /** The card scheme's position before it was sharded (ledger/003): history only; new card postings go to `cardSchemeAccount`. */
  cardScheme: 'internal:card-scheme',
  /** The Faster Payments scheme's position before it was sharded (ledger/004): history only; new postings go to `fasterPaymentsAccount`. */
  fasterPayments: 'internal:faster-payments',
} as const;

/** How many rows the card scheme's side of the ledger is spread over (ledger/003 makes them). */
export const CARD_SCHEME_SHARDS = 16;
/** How many rows the Faster Payments scheme's side of the ledger is spread over (ledger/004 makes them). */
export const FASTER_PAYMENTS_SHARDS = 16;

/** The shard of an internal account for postings on `ledgerAccountId` (a customer account, a UUID): by the id's last hex digit. */
function shardOf(internalAccount: string, ledgerAccountId: string): string {
  const shard = ledgerAccountId.slice(-1).toLowerCase();
  assert.match(shard, /^[0-9a-f]$/, `postings against ${internalAccount} need a customer account (a UUID), not ${ledgerAccountId}`);
  return `${internalAccount}:${shard}`;
}

/**
 * The card scheme's ledger account for card postings on `ledgerAccountId` (a customer account, a
 * UUID): one of CARD_SCHEME_SHARDS, by the id's last hex digit, as card_scheme_account() in SQL.
 * Postings of one customer account always meet the same shard; different accounts rarely do.
 */
export const cardSchemeAccount = (ledgerAccountId: string): string => shardOf(INTERNAL_ACCOUNTS.cardScheme, ledgerAccountId);

/**
 * The Faster Payments scheme's ledger account for payments in and out of `ledgerAccountId`: one of
 * FASTER_PAYMENTS_SHARDS, as faster_payments_account() in SQL. Every Faster Payment used to lock
 * one row until its transaction committed: every transfer in the bank, and every batch of advices
 * with one, queued on it.
 */
export const fasterPaymentsAccount = (ledgerAccountId: string): string => shardOf(INTERNAL_ACCOUNTS.fasterPayments, ledgerAccountId);

export type LedgerAccountKind = 'customer' | 'pot' | 'internal';

export interface Balance {
  readonly settledMinor: number;
  readonly heldMinor: number;
  readonly overdraftLimitMinor: number;
  /** settled − held + overdraft limit: what can still be spent. */
  readonly availableMinor: number;
  readonly unapprovedOverdraft: boolean;
}

export interface Posting {
  readonly ledgerAccountId: string;
  /** Positive credits the account, negative debits it. */
  readonly amountMinor: number;
}

/**
 * `enforce`: a debit that would take an account below its overdraft limit is refused.
 * `force`: applied anyway (stand-in's advices, clearings above the hold); the account is then
 * flagged as in an unapproved overdraft and the journal marked forced.
 */
export type OverdraftPolicy = 'enforce' | 'force';

export interface JournalRequest {
  readonly kind: string;
  readonly description: string;
  readonly correlationId?: string;
  readonly postings: readonly Posting[];
  readonly overdraft: OverdraftPolicy;
}

export type PostResult = { ok: true; journalId: string } | { ok: false; reason: 'insufficient_funds'; ledgerAccountId: string };

interface AccountRow {
  id: string;
  kind: LedgerAccountKind;
  owner_account_id: string | null;
  settled_minor: string;
  held_minor: string;
  overdraft_limit_minor: string;
  unapproved_overdraft: boolean;
}

function toBalance(row: AccountRow): Balance {
  const settledMinor = Number(row.settled_minor);
  const heldMinor = Number(row.held_minor);
  const overdraftLimitMinor = Number(row.overdraft_limit_minor);
  return {
    settledMinor,
    heldMinor,
    overdraftLimitMinor,
    availableMinor: settledMinor - heldMinor + overdraftLimitMinor,
    unapprovedOverdraft: row.unapproved_overdraft,
  };
}

export type Ledger = ReturnType<typeof createLedger>;

export function createLedger(deps: { clock: Clock }) {
  async function lock(tx: Tx, ids: readonly string[]): Promise<Map<string, AccountRow>> {
    const sorted = [...new Set(ids)].sort();
    const { rows } = await tx.query<AccountRow>('select * from ledger_accounts where id = any($1::text[]) order by id for update', [sorted]);
    if (rows.length !== sorted.length) {
      const missing = sorted.filter((id) => !rows.some((row) => row.id === id));
      throw new Error(`unknown ledger accounts: ${missing.join(', ')}`);
    }
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Announces the new balance of every customer account among `ids` (after the change, same transaction). */
  async function announceBalances(tx: Tx, ids: readonly string[], correlationId?: string): Promise<void> {
    const { rows } = await tx.query<AccountRow>("select * from ledger_accounts where id = any($1::text[]) and kind = 'customer' order by id", [
      [...new Set(ids)],
    ]);
    for (const row of rows) {
      const balance = toBalance(row);
      await appendEvent(tx, deps.clock, {
        type: 'balance.changed',
        accountId: row.owner_account_id!,
        ...(correlationId ? { correlationId } : {}),
        payload: { settledBalanceMinor: balance.settledMinor, heldMinor: balance.heldMinor, overdraftLimitMinor: balance.overdraftLimitMinor, currency: 'GBP' },
      });
    }
  }

  const spendable = (row: AccountRow) => row.kind !== 'internal';

  return {
    async openAccount(tx: Tx, account: { id: string; kind: LedgerAccountKind; ownerAccountId: string; overdraftLimitMinor: number }): Promise<void> {
      await tx.query('insert into ledger_accounts (id, kind, owner_account_id, overdraft_limit_minor) values ($1, $2, $3, $4)', [
        account.id,
        account.kind,
        account.ownerAccountId,
        account.overdraftLimitMinor,
      ]);
      if (account.kind === 'customer') await announceBalances(tx, [account.id]);
    },

    async balance(db: Db | Tx, ledgerAccountId: string): Promise<Balance | undefined> {
      const { rows } = await db.query<AccountRow>('select * from ledger_accounts where id = $1', [ledgerAccountId]);
      return rows[0] ? toBalance(rows[0]) : undefined;
    },

    /** Announces a customer account's balance as it is, under this correlation id (nothing moves). */
    announceBalance: (tx: Tx, ledgerAccountId: string, correlationId: string): Promise<void> => announceBalances(tx, [ledgerAccountId], correlationId),

    /**
     * Sets a customer account's arranged overdraft (an operator's approved change, never opening's)
     * and announces the new balance: what stand-in may let the customer spend follows. Returns the limit before.
     */
    async setOverdraftLimit(tx: Tx, ledgerAccountId: string, limitMinor: number): Promise<{ previousMinor: number }> {
      assert.ok(Number.isSafeInteger(limitMinor) && limitMinor >= 0, 'an overdraft limit is whole, non-negative pence');
      const row = (await lock(tx, [ledgerAccountId])).get(ledgerAccountId)!;
      assert.equal(row.kind, 'customer', 'only a customer account has an arranged overdraft');
      await tx.query('update ledger_accounts set overdraft_limit_minor = $2 where id = $1', [ledgerAccountId, limitMinor]);
      await announceBalances(tx, [ledgerAccountId]);
      return { previousMinor: Number(row.overdraft_limit_minor) };
    },

    /** Locks the account for the rest of the transaction and returns its balance. */
    async lockedBalance(tx: Tx, ledgerAccountId: string): Promise<Balance> {
      return toBalance((await lock(tx, [ledgerAccountId])).get(ledgerAccountId)!);
    },

    async post(tx: Tx, request: JournalRequest): Promise<PostResult> {
      const total = request.postings.reduce((sum, posting) => sum + posting.amountMinor, 0);
      assert.equal(total, 0, `journal ${request.kind} does not balance: sums to ${total}`);
      assert.ok(request.postings.length >= 2, 'a journal needs at least two postings');
      for (const posting of request.postings)
        assert.ok(Number.isSafeInteger(posting.amountMinor) && posting.amountMinor !== 0, 'postings are non-zero integer pence');

      const accounts = await lock(
        tx,
        request.postings.map((posting) => posting.ledgerAccountId),
      );
      const movement = new Map<string, number>();
      for (const posting of request.postings) movement.set(posting.ledgerAccountId, (movement.get(posting.ledgerAccountId) ?? 0) + posting.amountMinor);

      let forced = false;
      for (const [id, delta] of movement) {
        const row = accounts.get(id)!;
        if (delta >= 0 || !spendable(row)) continue;
        const after = toBalance(row).availableMinor + delta;
        if (after >= 0) continue;
        if (request.overdraft === 'enforce') return { ok: false, reason: 'insufficient_funds', ledgerAccountId: id };
        forced = true;
        await tx.query('update ledger_accounts set unapproved_overdraft = true where id = $1', [id]);
      }

      const journalId = randomUUID();
      await tx.query('insert into journals (id, kind, description, correlation_id, forced, created_at) values ($1, $2, $3, $4, $5, $6)', [
        journalId,
        request.kind,
        request.description,
        request.correlationId ?? null,
        forced,
        deps.clock.now(),
      ]);
      await tx.query('insert into postings (journal_id, ledger_account_id, amount_minor) select $1, unnest($2::text[]), unnest($3::bigint[])', [
        journalId,
        request.postings.map((posting) => posting.ledgerAccountId),
        request.postings.map((posting) => posting.amountMinor),
      ]);
      await announceBalances(tx, [...movement.keys()], request.correlationId);
      return { ok: true, journalId };
    },

    /** Reserves money for an authorised card payment; refused if the available balance is short (unless forced). */
    async placeHold(
      tx: Tx,
      hold: { ledgerAccountId: string; amountMinor: number; overdraft: OverdraftPolicy; correlationId?: string },
    ): Promise<{ ok: true; holdId: string } | { ok: false; reason: 'insufficient_funds' }> {
      assert.ok(Number.isSafeInteger(hold.amountMinor) && hold.amountMinor > 0, 'a hold is a positive integer amount');
      const row = (await lock(tx, [hold.ledgerAccountId])).get(hold.ledgerAccountId)!;
      if (toBalance(row).availableMinor < hold.amountMinor) {
        if (hold.overdraft === 'enforce') return { ok: false, reason: 'insufficient_funds' };
        await tx.query('update ledger_accounts set unapproved_overdraft = true where id = $1', [hold.ledgerAccountId]);
      }
      const holdId = randomUUID();
      await tx.query("insert into holds (id, ledger_account_id, amount_minor, status, created_at) values ($1, $2, $3, 'open', $4)", [
        holdId,
        hold.ledgerAccountId,
        hold.amountMinor,
        deps.clock.now(),
      ]);
      await tx.query('update ledger_accounts set held_minor = held_minor + $2 where id = $1', [hold.ledgerAccountId, hold.amountMinor]);
      await announceBalances(tx, [hold.ledgerAccountId], hold.correlationId);
      return { ok: true, holdId };
    },

    /**
     * Releases part or all of an open hold (a reversal). Returns the amount still held.
     * Releasing more than is held releases what is held.
     */
    async releaseHold(tx: Tx, holdId: string, amountMinor: number | 'all', correlationId?: string): Promise<number> {
      const hold = await lockedHold(tx, holdId);
      if (hold.status !== 'open') return 0;
      const release = amountMinor === 'all' ? hold.amount : Math.min(amountMinor, hold.amount);
      const remaining = hold.amount - release;
      await tx.query('update holds set amount_minor = $2, status = $3 where id = $1', [holdId, remaining, remaining === 0 ? 'released' : 'open']);
      await tx.query('update ledger_accounts set held_minor = held_minor - $2 where id = $1', [hold.ledgerAccountId, release]);
      await announceBalances(tx, [hold.ledgerAccountId], correlationId);
      return remaining;
    },

    /** Closes a hold as settled: the caller posts the settlement journal in the same transaction. */
    async settleHold(tx: Tx, holdId: string): Promise<void> {
      const hold = await lockedHold(tx, holdId);
      if (hold.status !== 'open') return;
      await tx.query("update holds set status = 'settled', amount_minor = 0 where id = $1", [holdId]);
      await tx.query('update ledger_accounts set held_minor = held_minor - $2 where id = $1', [hold.ledgerAccountId, hold.amount]);
    },
  };

  async function lockedHold(tx: Tx, holdId: string): Promise<{ ledgerAccountId: string; amount: number; status: string }> {
    // Account first, then hold: the same lock order as placeHold, so the two never deadlock.
    const owner = await tx.query<{ ledger_account_id: string }>('select ledger_account_id from holds where id = $1', [holdId]);
    if (!owner.rows[0]) throw new Error(`unknown hold ${holdId}`);
    await lock(tx, [owner.rows[0].ledger_account_id]);
    const { rows } = await tx.query<{ amount_minor: string; status: string }>('select amount_minor, status from holds where id = $1 for update', [holdId]);
    return { ledgerAccountId: owner.rows[0].ledger_account_id, amount: Number(rows[0]!.amount_minor), status: rows[0]!.status };
  }
}
