import { randomUUID } from 'node:crypto';
import type { CardStatus } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { errors } from '../platform/errors';
import { appendEvent } from '../outbox/outbox';
import { encryptPan, encryptPanForStandin, panIndex, type PanKeys } from './pan-crypto';
import { expiryFrom, newPan } from './pan';

export interface Card {
  readonly id: string;
  readonly accountId: string;
  readonly last4: string;
  readonly expiry: string;
  readonly status: CardStatus;
  readonly dailyCashLimitMinor: number;
}

interface CardRow {
  id: string;
  account_id: string;
  last4: string;
  expiry: string;
  status: CardStatus;
  daily_cash_limit_minor: string;
}

const toCard = (row: CardRow): Card => ({
  id: row.id,
  accountId: row.account_id,
  last4: row.last4,
  expiry: row.expiry,
  status: row.status,
  dailyCashLimitMinor: Number(row.daily_cash_limit_minor),
});

const DEFAULT_DAILY_CASH_LIMIT_MINOR = 50_000;
const CARD_LIFETIME_YEARS = 4;

/** Which status change each operation is, and from which statuses it is allowed. */
const TRANSITIONS = {
  freeze: { to: 'frozen', from: ['active', 'frozen'], word: 'frozen' },
  unfreeze: { to: 'active', from: ['frozen', 'active'], word: 'unfrozen' },
  cancel: { to: 'cancelled', from: ['active', 'frozen', 'cancelled'], word: 'cancelled' },
} as const;
export type CardOperation = keyof typeof TRANSITIONS;

export type CardsService = ReturnType<typeof createCardsService>;

export function createCardsService(deps: { db: Db; clock: Clock; keys: PanKeys }) {
  const { db, clock, keys } = deps;

  return {
    /**
     * Issues a card. The plaintext PAN is returned once, to be embossed (the internal API hands it
     * to the card manufacturer, or the test network); it is stored only encrypted.
     */
    async issue(accountId: string, options: { dailyCashLimitMinor?: number } = {}): Promise<{ card: Card; pan: string }> {
      const pan = newPan();
      const card: Card = {
        id: randomUUID(),
        accountId,
        last4: pan.slice(-4),
        expiry: expiryFrom(clock.now(), CARD_LIFETIME_YEARS),
        status: 'active',
        dailyCashLimitMinor: options.dailyCashLimitMinor ?? DEFAULT_DAILY_CASH_LIMIT_MINOR,
      };
      await withTransaction(db, async (tx) => {
        await tx.query(
          `insert into cards (id, account_id, pan_encrypted, pan_index, last4, expiry, status, daily_cash_limit_minor, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            card.id,
            accountId,
            encryptPan(keys.primary, pan),
            panIndex(keys.indexKey, pan),
            card.last4,
            card.expiry,
            card.status,
            card.dailyCashLimitMinor,
            clock.now(),
          ],
        );
        await appendEvent(tx, clock, {
          type: 'card.issued',
          accountId,
          payload: {
            cardId: card.id,
            panForStandin: encryptPanForStandin(keys.standin, pan),
            last4: card.last4,
            expiry: card.expiry,
            status: card.status,
            dailyCashLimitMinor: card.dailyCashLimitMinor,
          },
        });
      });
      return { card, pan };
    },

    async listForAccount(accountId: string): Promise<Card[]> {
      const { rows } = await db.query<CardRow>('select * from cards where account_id = $1 order by created_at', [accountId]);
      return rows.map(toCard);
    },

    async find(cardId: string, queryable: Db | Tx = db): Promise<Card | undefined> {
      const { rows } = await queryable.query<CardRow>('select * from cards where id = $1', [cardId]);
      return rows[0] ? toCard(rows[0]) : undefined;
    },

    /** The keyed hash a card is found by (its PAN never decrypted for that); the card path looks the card up with it in the database. */
    panIndexOf: (pan: string): Buffer => panIndex(keys.indexKey, pan),

    /** The card a scheme message is for, found by keyed hash (the PAN is never decrypted for this). */
    async findByPan(queryable: Db | Tx, pan: string): Promise<Card | undefined> {
      const { rows } = await queryable.query<CardRow>('select * from cards where pan_index = $1', [panIndex(keys.indexKey, pan)]);
      return rows[0] ? toCard(rows[0]) : undefined;
    },

    /** Freeze, unfreeze or cancel; repeating the same change is harmless. Optionally in the caller's transaction. */
    async change(cardId: string, operation: CardOperation, reason: string, tx?: Tx): Promise<Card> {
      const transition = TRANSITIONS[operation];
      const work = async (client: Tx) => {
        const { rows } = await client.query<CardRow>('select * from cards where id = $1 for update', [cardId]);
        const row = rows[0];
        if (!row) throw errors.notFound('card');
        if (!(transition.from as readonly string[]).includes(row.status)) throw errors.cardNotChangeable(row.status, transition.word);
        if (row.status === transition.to) return toCard(row);
        await client.query('update cards set status = $2 where id = $1', [cardId, transition.to]);
        await appendEvent(client, clock, { type: 'card.status_changed', accountId: row.account_id, payload: { cardId, status: transition.to, reason } });
        return { ...toCard(row), status: transition.to };
      };
      return tx ? work(tx) : withTransaction(db, work);
    },
  };
}
