import { createHash, randomBytes, randomUUID } from 'node:crypto';
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
}

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

export type AccountsService = ReturnType<typeof createAccountsService>;

export function createAccountsService(deps: { db: Db; clock: Clock; ledger: Ledger; cache: Cache }) {
  const { db, clock, ledger, cache } = deps;
  const TOKEN_CACHE_SECONDS = 300;

  async function findAccount(queryable: Db | Tx, accountId: string): Promise<Account | undefined> {
    const { rows } = await queryable.query<AccountRow>('select * from accounts where id = $1', [accountId]);
    return rows[0] ? toAccount(rows[0]) : undefined;
  }

  return {
    async open(request: { holderName: string; overdraftLimitMinor: number }): Promise<OpenedAccount> {
      const customerId = randomUUID();
      const accountId = randomUUID();
      const token = randomBytes(32).toString('base64url');
      return withTransaction(db, async (tx) => {
        await tx.query('insert into customers (id, name, created_at) values ($1, $2, $3)', [customerId, request.holderName, clock.now()]);
        await tx.query('insert into customer_tokens (token_sha256, customer_id) values ($1, $2)', [tokenHash(token), customerId]);
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
        await appendEvent(tx, clock, {
          type: 'customer.credential_issued',
          accountId,
          payload: { customerId, tokenSha256Base64: tokenHash(token).toString('base64') },
        });
        return { id: accountId, customerId, sortCode: OUR_SORT_CODE, accountNumber, holderName: request.holderName, status: 'open', token };
      });
    },

    /** The customer a bearer token belongs to, if any. */
    async customerForToken(token: string): Promise<string | undefined> {
      const hash = tokenHash(token);
      const cacheKey = `primary:token:${hash.toString('hex')}`;
      const cached = await cache.get(cacheKey);
      if (cached) return cached;
      const { rows } = await db.query<{ customer_id: string }>('select customer_id from customer_tokens where token_sha256 = $1', [hash]);
      const customerId = rows[0]?.customer_id;
      if (customerId) await cache.set(cacheKey, customerId, TOKEN_CACHE_SECONDS);
      return customerId;
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
