import type { Database, Session } from '../store/database';
import { panLookup, type StandinCardKeys } from './card-numbers';
import type { CardAsStandinSeesIt } from '../payments/authorisation-rules';

export interface KnownCard extends CardAsStandinSeesIt {
  readonly cardId: string;
  readonly accountId: string;
}

/** Cancelled is final; otherwise whoever spoke last about freezing (primary or stand-in) wins. */
function effectiveStatus(card: { status: KnownCard['status']; changed_at: Date; own_frozen: boolean | null; own_at: Date | null }): KnownCard['status'] {
  if (card.status === 'cancelled' || !card.own_at || card.own_at <= card.changed_at) return card.status;
  return card.own_frozen ? 'frozen' : 'active';
}

/**
 * A card as stand-in sees it: the newest synced version, with stand-in's own freezes on top
 * when they are newer than primary's last word on the card.
 */
export async function findCard(
  db: Database | Session,
  keys: Pick<StandinCardKeys, 'lookupKey'>,
  where: { pan: string } | { cardId: string },
): Promise<KnownCard | undefined> {
  const { rows } = await db.query<{
    card_id: string;
    account_id: string;
    status: 'active' | 'frozen' | 'cancelled';
    expiry: string;
    daily_cash_limit_minor: string;
    changed_at: Date;
    own_frozen: boolean | null;
    own_at: Date | null;
  }>(
    `select c.card_id, c.account_id, c.status, c.expiry, c.daily_cash_limit_minor, c.changed_at, f.frozen as own_frozen, f.created_at as own_at
     from (select * from synced_cards where ${'pan' in where ? 'pan_lookup = $1' : 'card_id = $1'} order by sequence desc limit 1) c
     left join lateral (select frozen, created_at from card_freezes where card_id = c.card_id order by id desc limit 1) f on true`,
    ['pan' in where ? panLookup(keys, where.pan) : where.cardId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    cardId: row.card_id,
    accountId: row.account_id,
    status: effectiveStatus(row),
    expiry: row.expiry,
    dailyCashLimitMinor: Number(row.daily_cash_limit_minor),
  };
}

/** An account's cards as stand-in sees them (for the app: last four digits, expiry, status). */
export async function cardsOfAccount(
  db: Database | Session,
  accountId: string,
): Promise<{ cardId: string; last4: string; expiry: string; status: KnownCard['status'] }[]> {
  const { rows } = await db.query<{
    card_id: string;
    last4: string;
    expiry: string;
    status: KnownCard['status'];
    changed_at: Date;
    own_frozen: boolean | null;
    own_at: Date | null;
  }>(
    `select c.card_id, c.last4, c.expiry, c.status, c.changed_at, f.frozen as own_frozen, f.created_at as own_at
     from (select distinct on (card_id) * from synced_cards where account_id = $1 order by card_id, sequence desc) c
     left join lateral (select frozen, created_at from card_freezes where card_id = c.card_id order by id desc limit 1) f on true
     order by c.card_id`,
    [accountId],
  );
  return rows.map((row) => ({
    cardId: row.card_id,
    last4: row.last4,
    expiry: row.expiry,
    status: effectiveStatus(row),
  }));
}
