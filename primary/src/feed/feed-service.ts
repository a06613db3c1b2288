import { randomUUID } from 'node:crypto';
import type { BankAccountParty, Merchant, TransactionKind, TransactionStatus } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import type { Db, Tx } from '../platform/db';
import { appendEvent } from '../outbox/outbox';

export interface FeedTransaction {
  readonly id: string;
  readonly accountId: string;
  readonly kind: TransactionKind;
  readonly status: TransactionStatus;
  /** Signed: negative is money out. */
  readonly amountMinor: number;
  readonly currency: string;
  readonly description: string;
  readonly merchant?: Merchant;
  readonly counterparty?: BankAccountParty;
  readonly cardId?: string;
  readonly correlationId?: string;
  /** The scheme's payment id of a Faster Payment: stand-in recognises a re-presented payment by it. */
  readonly fpsId?: string;
  readonly createdAt: string;
}

interface TransactionRow {
  id: string;
  position: string;
  account_id: string;
  kind: TransactionKind;
  status: TransactionStatus;
  amount_minor: string;
  currency: string;
  description: string;
  merchant: Merchant | null;
  counterparty: BankAccountParty | null;
  card_id: string | null;
  correlation_id: string | null;
  fps_id: string | null;
  created_at: Date;
}

const toTransaction = (row: TransactionRow): FeedTransaction => ({
  id: row.id,
  accountId: row.account_id,
  kind: row.kind,
  status: row.status,
  amountMinor: Number(row.amount_minor),
  currency: row.currency,
  description: row.description,
  ...(row.merchant ? { merchant: row.merchant } : {}),
  ...(row.counterparty ? { counterparty: row.counterparty } : {}),
  ...(row.card_id ? { cardId: row.card_id } : {}),
  ...(row.correlation_id ? { correlationId: row.correlation_id } : {}),
  ...(row.fps_id ? { fpsId: row.fps_id } : {}),
  createdAt: row.created_at.toISOString(),
});

export type FeedService = ReturnType<typeof createFeedService>;

/** The feed: every account's transactions as the customer sees them, each change announced. */
export function createFeedService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function announce(tx: Tx, transaction: FeedTransaction): Promise<void> {
    await appendEvent(tx, clock, {
      type: 'transaction.recorded',
      accountId: transaction.accountId,
      ...(transaction.correlationId ? { correlationId: transaction.correlationId } : {}),
      payload: {
        transactionId: transaction.id,
        kind: transaction.kind,
        status: transaction.status,
        amountMinor: transaction.amountMinor,
        currency: transaction.currency,
        description: transaction.description,
        ...(transaction.merchant ? { merchant: transaction.merchant } : {}),
        ...(transaction.counterparty ? { counterparty: transaction.counterparty } : {}),
        ...(transaction.cardId ? { cardId: transaction.cardId } : {}),
        ...(transaction.fpsId ? { fpsId: transaction.fpsId } : {}),
        createdAt: transaction.createdAt,
      },
    });
  }

  return {
    async record(tx: Tx, transaction: Omit<FeedTransaction, 'id' | 'createdAt'>): Promise<FeedTransaction> {
      const created: FeedTransaction = { ...transaction, id: randomUUID(), createdAt: clock.now().toISOString() };
      await tx.query(
        `insert into transactions (id, account_id, kind, status, amount_minor, currency, description, merchant, counterparty, card_id, correlation_id, fps_id, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          created.id,
          created.accountId,
          created.kind,
          created.status,
          created.amountMinor,
          created.currency,
          created.description,
          created.merchant ?? null,
          created.counterparty ?? null,
          created.cardId ?? null,
          created.correlationId ?? null,
          created.fpsId ?? null,
          created.createdAt,
        ],
      );
      await announce(tx, created);
      return created;
    },

    async update(tx: Tx, transactionId: string, change: { status: TransactionStatus; amountMinor?: number }): Promise<FeedTransaction> {
      const { rows } = await tx.query<TransactionRow>(
        'update transactions set status = $2, amount_minor = coalesce($3, amount_minor) where id = $1 returning *',
        [transactionId, change.status, change.amountMinor ?? null],
      );
      if (!rows[0]) throw new Error(`unknown transaction ${transactionId}`);
      const updated = toTransaction(rows[0]);
      await announce(tx, updated);
      return updated;
    },

    /** Newest first. `before` is the cursor returned with the previous page. */
    async list(accountId: string, page: { limit: number; before?: string }): Promise<{ transactions: FeedTransaction[]; nextCursor?: string }> {
      const { rows } = await db.query<TransactionRow>(
        `select * from transactions where account_id = $1 and ($2::bigint is null or position < $2::bigint)
         order by position desc limit $3`,
        [accountId, page.before ?? null, page.limit + 1],
      );
      const more = rows.length > page.limit;
      const visible = rows.slice(0, page.limit);
      return { transactions: visible.map(toTransaction), ...(more ? { nextCursor: visible.at(-1)!.position } : {}) };
    },
  };
}
