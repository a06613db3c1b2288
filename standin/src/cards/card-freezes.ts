import { randomUUID } from 'node:crypto';
import { recordAdvice } from '../advices/advice-log';
import { inTransaction, type Database } from '../store/database';
import { findCard, type KnownCard } from './card-directory';
import type { StandinCardKeys } from './card-numbers';

/**
 * A freeze or unfreeze made in stand-in: its own record (it never overwrites synced cards) and an
 * advice. Asking for the state the card is already in changes nothing and advises nothing: an app
 * retrying, or a customer tapping twice, must not send primary a stream of freezes. The card's
 * lock (per card id, for this transaction) makes two concurrent requests one change.
 * Returns the card's status afterwards; a cancelled card stays cancelled.
 */
export async function setCardFrozen(
  deps: { database: Database; now: () => Date; keys: Pick<StandinCardKeys, 'lookupKey'> },
  card: { cardId: string; accountId: string },
  frozen: boolean,
): Promise<KnownCard['status']> {
  return inTransaction(deps.database, async (session) => {
    await session.query('select pg_advisory_xact_lock(hashtext($1))', [`card-freeze:${card.cardId}`]);
    const current = (await findCard(session, deps.keys, { cardId: card.cardId }))?.status;
    const wanted = frozen ? 'frozen' : 'active';
    if (current === 'cancelled' || current === wanted) return current ?? wanted;
    const at = deps.now();
    await session.query("insert into card_freezes (card_id, frozen, requested_by, created_at) values ($1, $2, 'customer', $3)", [card.cardId, frozen, at]);
    await recordAdvice(session, {
      type: frozen ? 'card.frozen' : 'card.unfrozen',
      accountId: card.accountId,
      correlationId: randomUUID(),
      payload: { cardId: card.cardId, requestedBy: 'customer' },
      at,
    });
    return wanted;
  });
}
