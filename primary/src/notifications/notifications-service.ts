import type { PrimaryEvent } from '@bank/shared-contracts';
import type { Db } from '../platform/db';

export interface Notification {
  readonly id: string;
  readonly accountId: string;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
}

type TransactionRecorded = Extract<PrimaryEvent, { type: 'transaction.recorded' }>;

const pounds = (minor: number) => `£${(Math.abs(minor) / 100).toFixed(2)}`;

/** The push notification a customer gets for a card payment or a transfer; nothing for other kinds. */
export function notificationFor(event: TransactionRecorded): { title: string; body: string } | undefined {
  const { kind, status, amountMinor, description } = event.payload;
  switch (kind) {
    case 'card_payment':
    case 'cash_withdrawal':
      return status === 'declined'
        ? { title: 'Payment declined', body: `${pounds(amountMinor)} at ${description} was declined` }
        : { title: kind === 'cash_withdrawal' ? 'Cash withdrawn' : 'Card payment', body: `${pounds(amountMinor)} at ${description}` };
    case 'card_refund':
      return { title: 'Refund', body: `${pounds(amountMinor)} from ${description}` };
    case 'faster_payment_in':
      return { title: 'Money in', body: `${pounds(amountMinor)} from ${description}` };
    case 'faster_payment_out':
    case 'internal_transfer':
      return amountMinor < 0
        ? { title: 'Payment sent', body: `${pounds(amountMinor)} to ${description}` }
        : { title: 'Money in', body: `${pounds(amountMinor)} from ${description}` };
    default:
      return undefined;
  }
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;

export function createNotificationsService(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** Idempotent: a redelivered event finds its notification already there. */
    async record(event: TransactionRecorded): Promise<boolean> {
      const notification = notificationFor(event);
      if (!notification) return false;
      const inserted = await db.query(
        'insert into notifications (account_id, transaction_id, title, body, created_at) values ($1, $2, $3, $4, $5) on conflict (transaction_id) do nothing',
        [event.accountId, event.payload.transactionId, notification.title, notification.body, event.occurredAt],
      );
      return inserted.rowCount === 1;
    },

    /**
     * A batch of events' notifications in one statement (the consumer's whole Kafka batch): one
     * round trip and one commit per batch, not per event, on the database the card path uses.
     * Idempotent as `record`; returns how many were new.
     */
    async recordAll(events: readonly TransactionRecorded[]): Promise<number> {
      const rows = events.flatMap((event) => {
        const notification = notificationFor(event);
        return notification ? [{ event, notification }] : [];
      });
      if (rows.length === 0) return 0;
      const inserted = await db.query(
        `insert into notifications (account_id, transaction_id, title, body, created_at)
         select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
         on conflict (transaction_id) do nothing`,
        [
          rows.map(({ event }) => event.accountId),
          rows.map(({ event }) => event.payload.transactionId),
          rows.map(({ notification }) => notification.title),
          rows.map(({ notification }) => notification.body),
          rows.map(({ event }) => event.occurredAt),
        ],
      );
      return inserted.rowCount ?? 0;
    },

    async list(accountId: string, options: { after?: string; limit: number }): Promise<Notification[]> {
      const { rows } = await db.query<{ id: string; account_id: string; title: string; body: string; created_at: Date }>(
        options.after === undefined
          ? 'select * from notifications where account_id = $1 order by id desc limit $2'
          : 'select * from notifications where account_id = $1 and id > $3 order by id asc limit $2',
        options.after === undefined ? [accountId, options.limit] : [accountId, options.limit, options.after],
      );
      return rows.map((row) => ({ id: row.id, accountId: row.account_id, title: row.title, body: row.body, createdAt: row.created_at.toISOString() }));
    },
  };
}
