import { randomUUID } from 'node:crypto';
import { recordAdvice } from '../advices/advice-log';
import { inTransaction, type Database } from '../store/database';

/** A freeze or unfreeze made in stand-in: its own record (it never overwrites synced cards) and an advice. */
export async function setCardFrozen(deps: { database: Database; now: () => Date }, card: { cardId: string; accountId: string }, frozen: boolean): Promise<void> {
  await inTransaction(deps.database, async (session) => {
    const at = deps.now();
    await session.query("insert into card_freezes (card_id, frozen, requested_by, created_at) values ($1, $2, 'customer', $3)", [card.cardId, frozen, at]);
    await recordAdvice(session, { type: frozen ? 'card.frozen' : 'card.unfrozen', accountId: card.accountId, correlationId: randomUUID(), payload: { cardId: card.cardId, requestedBy: 'customer' }, at });
  });
}
