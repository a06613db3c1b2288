import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AccountStatus } from '@bank/shared-contracts';
import type { Cache } from '../platform/cache';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { errors } from '../platform/errors';
import { appendEvent } from '../outbox/outbox';
import type { Balance, Ledger } from '../ledger/ledger';
import { hasValidCheckDigit, newAccountNumber, OUR_SORT_CODE } from './account-number';

export interface Account {
  readonly id: string;
  readonly customerId: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly holderName: string;
  readonly status: AccountStatus;
}

export interface OpenedAccount extends Account {
  /** Shown once: the customer's bearer token for the app API. */
  readonly token: string;
  /** When the token stops being accepted (a fresh one before then: POST /customer/token). */
  readonly tokenExpiresAt: string;
}

/** A fresh app token, shown once. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: string;
}

/** What an operator's revocation did, as audited. */
export interface TokenRevocation {
  readonly customerId: string;
  readonly tokensRevoked: number;
  readonly revokedBy: string;
  readonly reason: string;
  readonly revokedAt: string;
}

/** Who a bearer token is: a customer, or why not (a token primary never issued is `unknown`). */
export type TokenCheck = { readonly ok: true; readonly customerId: string } | { readonly ok: false; readonly why: 'unknown' | 'expired' | 'revoked' };

/** PRIMARY_CUSTOMER_TOKEN_TTL_DAYS' default: a month between sign-ins, as banking apps commonly ask. */
export const DEFAULT_CUSTOMER_TOKEN_TTL_DAYS = 30;

interface AccountRow {
  id: string;
  customer_id: string;
  sort_code: string;
  account_number: string;
  holder_name: string;
  status: AccountStatus;
}

const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  customerId: row.customer_id,
  sortCode: row.sort_code,
  accountNumber: row.account_number,
  holderName: row.holder_name,
  status: row.status,
});

const tokenHash = (token: string) => createHash('sha256').update(token).digest();
const tokenCacheKey = (hash: Buffer) => `primary:token:${hash.toString('hex')}`;

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService(deps: { db: Db; clock: Clock; ledger: Ledger; cache: Cache; customerTokenTtlDays?: number; logger?: Logger }) {
  const { db, clock, ledger, cache } = deps;
  const TOKEN_CACHE_SECONDS = 300;
  const tokenLifetimeMs = (deps.customerTokenTtlDays ?? DEFAULT_CUSTOMER_TOKEN_TTL_DAYS) * 86_400_000;

  /**
   * Stores a new token's hash with its expiry and announces it to stand-in (on `accountId`, in
   * that account's sequence), in the caller's transaction.
   */
  async function issueToken(tx: Tx, customerId: string, accountId: string): Promise<IssuedToken> {
    const token = randomBytes(32).toString('base64url');
    // Stand-in ends the tokens issued at or before a revocation's time, so a token issued after a
    // revocation must carry a later time even if this clock reads the same (or, on another
    // replica, earlier): the caller holds the customer's row lock, so this order is the real one.
    const { rows } = await tx.query<{ last: Date | null }>('select max(revoked_at) as last from customer_token_revocations where customer_id = $1', [
      customerId,
    ]);
    const lastRevocation = rows[0]?.last?.getTime() ?? 0;
    const issuedAt = new Date(Math.max(clock.now().getTime(), lastRevocation + 1));
    const expiresAt = new Date(issuedAt.getTime() + tokenLifetimeMs);
    const hash = tokenHash(token);
    await tx.query('insert into customer_tokens (token_sha256, customer_id, issued_at, expires_at) values ($1, $2, $3, $4)', [
      hash,
      customerId,
      issuedAt,
      expiresAt,
    ]);
    await appendEvent(tx, clock, {
      type: 'customer.credential_issued',
      accountId,
      payload: { customerId, tokenSha256Base64: hash.toString('base64'), issuedAt: issuedAt.toISOString(), expiresAt: expiresAt.toISOString() },
    });
    return { token, expiresAt: expiresAt.toISOString() };
  }

  /** The token's customer if it is still good; the cache holds only good tokens, with their expiry. */
  async function checkToken(token: string): Promise<TokenCheck> {
    const hash = tokenHash(token);
    const cacheKey = tokenCacheKey(hash);
    const now = clock.now().getTime();
    const cached = await cache.get(cacheKey);
    if (cached) {
      const [customerId, expiresAtMs] = cached.split('|');
      // An entry without an expiry is from before tokens expired: read PostgreSQL instead.
      if (customerId && expiresAtMs && Number(expiresAtMs) > now) return { ok: true, customerId };
    }
    const { rows } = await db.query<{ customer_id: string; expires_at: Date; revoked_at: Date | null }>(
      'select customer_id, expires_at, revoked_at from customer_tokens where token_sha256 = $1',
      [hash],
    );
    const row = rows[0];
    if (!row) return { ok: false, why: 'unknown' };
    if (row.revoked_at) return { ok: false, why: 'revoked' };
    if (row.expires_at.getTime() <= now) return { ok: false, why: 'expired' };
    // Never cached past its expiry; a revocation deletes the entry (revokeTokens).
    const ttlSeconds = Math.min(TOKEN_CACHE_SECONDS, Math.floor((row.expires_at.getTime() - now) / 1000));
    if (ttlSeconds > 0) await cache.set(cacheKey, `${row.customer_id}|${row.expires_at.getTime()}`, ttlSeconds);
    return { ok: true, customerId: row.customer_id };
  }

  async function findAccount(queryable: Db | Tx, accountId: string): Promise<Account | undefined> {
    const { rows } = await queryable.query<AccountRow>('select * from accounts where id = $1', [accountId]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  return {
    async open(request: { holderName: string; overdraftLimitMinor: number }): Promise<OpenedAccount> {
      const customerId = randomUUID();
      const accountId = randomUUID();
      return withTransaction(db, async (tx) => {
        await tx.query('insert into customers (id, name, created_at) values ($1, $2, $3)', [customerId, request.holderName, clock.now()]);
        // A fresh random number can collide with an existing one; a handful of tries is plenty.
        let accountNumber = '';
        for (let attempt = 0; attempt < 5 && !accountNumber; attempt++) {
          const candidate = newAccountNumber();
          const inserted = await tx.query(
            `insert into accounts (id, customer_id, sort_code, account_number, holder_name, status, created_at)
             values ($1, $2, $3, $4, $5, 'open', $6) on conflict (sort_code, account_number) do nothing`,
            [accountId, customerId, OUR_SORT_CODE, candidate, request.holderName, clock.now()],
          );
          if (inserted.rowCount === 1) accountNumber = candidate;
        }
        if (!accountNumber) throw new Error('could not allocate a unique account number');
        await appendEvent(tx, clock, {
          type: 'account.opened',
          accountId,
          payload: {
            customerId,
            holderName: request.holderName,
            sortCode: OUR_SORT_CODE,
            accountNumber,
            currency: 'GBP',
            overdraftLimitMinor: request.overdraftLimitMinor,
            status: 'open',
          },
        });
        await ledger.openAccount(tx, { id: accountId, kind: 'customer', ownerAccountId: accountId, overdraftLimitMinor: request.overdraftLimitMinor });
        const issued = await issueToken(tx, customerId, accountId);
        return {
          id: accountId,
          customerId,
          sortCode: OUR_SORT_CODE,
          accountNumber,
          holderName: request.holderName,
          status: 'open',
          token: issued.token,
          tokenExpiresAt: issued.expiresAt,
        };
      });
    },

    checkToken,

    /** The customer a bearer token belongs to, if it is still good (not expired, not revoked). */
    async customerForToken(token: string): Promise<string | undefined> {
      const check = await checkToken(token);
      return check.ok ? check.customerId : undefined;
    },

    /**
     * A fresh token for a signed-in customer, before theirs expires. The one presented keeps
     * working until its own expiry (an app that lost this answer is not locked out); the app
     * keeps the newest. Announced on the customer's first account, as the first token was.
     */
    async refreshToken(customerId: string): Promise<IssuedToken> {
      return withTransaction(db, async (tx) => {
        // The customer's row is the lock a revocation takes too: see issueToken.
        await tx.query('select 1 from customers where id = $1 for update', [customerId]);
        const { rows } = await tx.query<{ id: string }>('select id from accounts where customer_id = $1 order by created_at, id limit 1', [customerId]);
        if (!rows[0]) throw errors.notFound('customer');
        return issueToken(tx, customerId, rows[0].id);
      });
    },

    /**
     * Revokes every token the customer holds now (an operator's decision, audited with their
     * name from the credential), and tells stand-in on each of the customer's accounts, in the
     * same transaction. The cache entries go after the commit.
     */
    async revokeTokens(request: { customerId: string; operator: string; reason: string }): Promise<TokenRevocation> {
      const { revocation, hashes } = await withTransaction(db, async (tx) => {
        // The customer's row is the lock: two revocations (or a revocation and a refresh) take turns.
        const customer = await tx.query('select 1 from customers where id = $1 for update', [request.customerId]);
        if (customer.rowCount !== 1) throw errors.notFound('customer');
        // At or after every token it ends (stand-in compares the times): a token issued on a
        // replica whose clock runs ahead is still one this revocation ends.
        const latest = await tx.query<{ last: Date | null }>('select max(issued_at) as last from customer_tokens where customer_id = $1', [request.customerId]);
        const revokedAt = new Date(Math.max(clock.now().getTime(), latest.rows[0]?.last?.getTime() ?? 0));
        const revoked = await tx.query<{ token_sha256: Buffer }>(
          'update customer_tokens set revoked_at = $2 where customer_id = $1 and revoked_at is null returning token_sha256',
          [request.customerId, revokedAt],
        );
        await tx.query(
          `insert into customer_token_revocations (id, customer_id, revoked_by, reason, tokens_revoked, revoked_at)
           values ($1, $2, $3, $4, $5, $6)`,
          [randomUUID(), request.customerId, request.operator, request.reason, revoked.rowCount ?? 0, revokedAt],
        );
        const accounts = await tx.query<{ id: string }>('select id from accounts where customer_id = $1 order by id', [request.customerId]);
        for (const account of accounts.rows) {
          await appendEvent(tx, clock, {
            type: 'customer.credentials_revoked',
            accountId: account.id,
            payload: { customerId: request.customerId, revokedAt: revokedAt.toISOString() },
          });
        }
        const revocation: TokenRevocation = {
          customerId: request.customerId,
          tokensRevoked: revoked.rowCount ?? 0,
          revokedBy: request.operator,
          reason: request.reason,
          revokedAt: revokedAt.toISOString(),
        };
        return { revocation, hashes: revoked.rows.map((row) => row.token_sha256) };
      });
      // A cached token would otherwise be accepted for up to TOKEN_CACHE_SECONDS more. Deleted
      // twice: a check that read the token before this commit may cache it just after the first
      // delete (its write follows its read within Redis' 50 ms timeout), never a second later.
      const keys = hashes.map(tokenCacheKey);
      const clearCache = async () => {
        if (!(await cache.delete(keys)))
          deps.logger?.error(
            { event: 'token_cache_not_cleared', customerId: request.customerId, cacheSeconds: TOKEN_CACHE_SECONDS },
            'revoked tokens may stay cached in Redis until their cache entries expire: Redis did not answer',
          );
      };
      await clearCache();
      if (keys.length > 0) setTimeout(() => void clearCache(), 1_000).unref();
      return revocation;
    },

    find: (accountId: string, queryable: Db | Tx = db) => findAccount(queryable, accountId),

    /** The account, only if this customer owns it; anyone else's is "not found", never "forbidden". */
    async findOwned(customerId: string, accountId: string): Promise<Account> {
      const account = await findAccount(db, accountId);
      if (!account || account.customerId !== customerId) throw errors.notFound('account');
      return account;
    },

    async listOwned(customerId: string): Promise<Account[]> {
      const { rows } = await db.query<AccountRow>('select * from accounts where customer_id = $1 order by created_at', [customerId]);
      return rows.map(toAccount);
    },

    /** Finds one of our accounts by its bank details, validating our check digit first. */
    async findByNumber(queryable: Db | Tx, sortCode: string, accountNumber: string): Promise<Account | undefined> {
      if (sortCode === OUR_SORT_CODE && !hasValidCheckDigit(sortCode, accountNumber)) throw errors.invalidAccountNumber();
      const { rows } = await queryable.query<AccountRow>('select * from accounts where sort_code = $1 and account_number = $2', [sortCode, accountNumber]);
      return rows[0] ? toAccount(rows[0]) : undefined;
    },

    balance: (accountId: string): Promise<Balance | undefined> => ledger.balance(db, accountId),
  };
}
