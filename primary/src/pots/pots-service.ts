import { randomUUID } from 'node:crypto';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { errors } from '../platform/errors';
import { appendEvent } from '../outbox/outbox';
import type { FeedService } from '../feed/feed-service';
import type { Ledger } from '../ledger/ledger';

export interface Pot {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly status: 'active' | 'closed';
  readonly balanceMinor: number;
}

/** A pot is money set aside inside the bank: its own ledger account, owned by the customer's account. */
const potLedgerAccount = (potId: string) => `pot:${potId}`;

export type PotsService = ReturnType<typeof createPotsService>;

export function createPotsService(deps: { db: Db; clock: Clock; ledger: Ledger; feed: FeedService }) {
  const { db, clock, ledger, feed } = deps;

  async function load(queryable: Db | Tx, accountId: string, potId: string): Promise<Pot> {
    const { rows } = await queryable.query<{ id: string; account_id: string; name: string; status: 'active' | 'closed' }>(
      'select * from pots where id = $1 and account_id = $2',
      [potId, accountId],
    );
    const row = rows[0];
    if (!row) throw errors.notFound('pot');
    const balance = await ledger.balance(queryable, potLedgerAccount(row.id));
    return { id: row.id, accountId: row.account_id, name: row.name, status: row.status, balanceMinor: balance?.settledMinor ?? 0 };
  }

  async function announce(tx: Tx, pot: Pot): Promise<void> {
    await appendEvent(tx, clock, {
      type: 'pot.changed',
      accountId: pot.accountId,
      payload: { potId: pot.id, name: pot.name, balanceMinor: pot.balanceMinor, status: pot.status },
    });
  }

  return {
    async create(accountId: string, name: string): Promise<Pot> {
      return withTransaction(db, async (tx) => {
        const pot: Pot = { id: randomUUID(), accountId, name, status: 'active', balanceMinor: 0 };
        await tx.query("insert into pots (id, account_id, name, status, created_at) values ($1, $2, $3, 'active', $4)", [pot.id, accountId, name, clock.now()]);
        await ledger.openAccount(tx, { id: potLedgerAccount(pot.id), kind: 'pot', ownerAccountId: accountId, overdraftLimitMinor: 0 });
        await announce(tx, pot);
        return pot;
      });
    },

    async list(accountId: string): Promise<Pot[]> {
      const { rows } = await db.query<{ id: string }>('select id from pots where account_id = $1 order by created_at', [accountId]);
      return Promise.all(rows.map((row) => load(db, accountId, row.id)));
    },

    /** Moves money between the account and its pot, in the caller's transaction. Neither side may go below its floor. */
    async move(tx: Tx, accountId: string, potId: string, direction: 'deposit' | 'withdraw', amountMinor: number): Promise<Pot> {
      const pot = await load(tx, accountId, potId);
      if (pot.status !== 'active') throw errors.notFound('pot');
      const into = direction === 'deposit' ? potLedgerAccount(potId) : accountId;
      const outOf = direction === 'deposit' ? accountId : potLedgerAccount(potId);
      const posted = await ledger.post(tx, {
        kind: `pot.${direction}`,
        description: pot.name,
        overdraft: 'enforce',
        postings: [
          { ledgerAccountId: outOf, amountMinor: -amountMinor },
          { ledgerAccountId: into, amountMinor },
        ],
      });
      if (!posted.ok) throw errors.insufficientFunds();
      await feed.record(tx, {
        accountId,
        kind: 'pot_transfer',
        status: 'settled',
        amountMinor: direction === 'deposit' ? -amountMinor : amountMinor,
        currency: 'GBP',
        description: `${direction === 'deposit' ? 'to' : 'from'} pot ${pot.name}`,
      });
      const moved = await load(tx, accountId, potId);
      await announce(tx, moved);
      return moved;
    },
  };
}
