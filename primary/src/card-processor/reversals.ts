import type { CardReversalRequest, CardReversalResponse, MessageKey } from '@bank/shared-contracts';
import { withTransaction, type Db, type Tx } from '../platform/db';
import type { AuthorisationStore, CardProcessorDeps, ReversalMessage } from './authorisation-store';

/** The card a reversal names: the network's message carries its PAN, stand-in's advice its card id. */
export type NamedCard = { readonly cardId: string } | { readonly pan: string };

// Reversals (0400/0420): what the network no longer authorises is released, and the answer recorded
// under the reversal's own key. A reversal that overtakes its authorisation is acknowledged and
// parked, applied the moment the authorisation is recorded.

export function createReversals(deps: CardProcessorDeps, store: AuthorisationStore) {
  const { db, clock, cards } = deps;
  const { findAuthorisation, once, lockOriginal, releaseAuthorised } = store;

  /**
   * A reversal's whole effect, in the caller's transaction: releases what the network no longer
   * authorises (the replacement amount is what stays authorised) and records the answer under
   * the reversal's own key, so the network's repeat of it gets that answer and moves nothing.
   * `card`: the card the reversal names, which a parked reversal is kept with.
   */
  async function reverseWithin(
    tx: Tx,
    request: ReversalMessage,
    decidedBy: 'primary' | 'standin',
    card: NamedCard,
    options: { recordAnswer: boolean } = { recordAnswer: true },
  ): Promise<{ response: CardReversalResponse; releasedMinor: number }> {
    const answer = (reason: string): CardReversalResponse => ({
      mti: request.mti === '0400' ? '0410' : '0430',
      stan: request.stan,
      rrn: request.rrn,
      terminalId: request.terminalId,
      responseCode: '00',
      decidedBy,
      reason: decidedBy === 'standin' ? `${reason} (answered by stand-in, applied from its advice)` : reason,
    });
    await lockOriginal(tx, request.original);
    const original = await findAuthorisation(tx, request.original, true);
    let response: CardReversalResponse;
    let releasedMinor = 0;
    const cardId = original ? undefined : 'cardId' in card ? card.cardId : (await cards.findByPan(tx, card.pan))?.id;
    if (!original && cardId === undefined) {
      // A card primary does not know can have no authorisation here, now or advised later.
      response = answer('no authorisation known for this card');
    } else if (!original) {
      // Acknowledged (the network repeats an unanswered reversal, it does not wait), and kept with
      // the card it names: a stand-in approval of that card whose advice has not arrived yet is
      // reversed the moment it does (and only an approval of that card).
      response = answer('no authorisation known yet; it is reversed if one is advised');
      const { mti, stan, rrn, terminalId, original: key, replacementAmountMinor } = request;
      await tx.query(
        `insert into reversals_awaiting_authorisation (stan, rrn, terminal_id, original_stan, original_rrn, original_terminal_id, reversal, decided_by, received_at, card_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) on conflict do nothing`,
        [
          stan,
          rrn,
          terminalId,
          key.stan,
          key.rrn,
          key.terminalId,
          { mti, stan, rrn, terminalId, original: key, ...(replacementAmountMinor === undefined ? {} : { replacementAmountMinor }) },
          decidedBy,
          clock.now(),
          cardId,
        ],
      );
    } else if (!original.approved || !original.account_id) {
      response = answer('no approved authorisation to reverse');
    } else if (original.state !== 'held' && original.state !== 'posted') {
      response = answer(`authorisation already ${original.state}`);
    } else {
      const remaining = Math.min(request.replacementAmountMinor ?? 0, Number(original.outstanding_minor));
      releasedMinor = await releaseAuthorised(tx, original, Number(original.outstanding_minor) - remaining, {
        correlationId: original.correlation_id,
        description: 'reversal',
        overdraft: 'enforce',
      });
      response = answer(remaining === 0 ? 'reversed in full' : `partially reversed; ${remaining} remains authorised`);
    }
    if (options.recordAnswer) {
      await tx.query('insert into card_reversals (stan, rrn, terminal_id, response, created_at) values ($1, $2, $3, $4, $5)', [
        request.stan,
        request.rrn,
        request.terminalId,
        response,
        clock.now(),
      ]);
    }
    return { response, releasedMinor };
  }

  /**
   * Applies, in arrival order, the reversals acknowledged before this authorisation (of `cardId`)
   * was known, their answers already given. One that names another card stays parked (the hold
   * expiry removes it, logged): it must not release this card's money. Rows parked before the card
   * was recorded (card-processor/006) have none and apply as before.
   */
  async function applyAwaitingReversals(tx: Tx, key: MessageKey, cardId: string): Promise<void> {
    await lockOriginal(tx, key);
    const { rows } = await tx.query<{ reversal: ReversalMessage; decided_by: 'primary' | 'standin'; received_at: Date }>(
      `delete from reversals_awaiting_authorisation
        where original_stan = $1 and original_rrn = $2 and original_terminal_id = $3 and (card_id is null or card_id = $4)
        returning reversal, decided_by, received_at`,
      [key.stan, key.rrn, key.terminalId, cardId],
    );
    for (const row of rows.sort((a, b) => a.received_at.getTime() - b.received_at.getTime()))
      await reverseWithin(tx, row.reversal, row.decided_by, { cardId }, { recordAnswer: false });
  }

  async function answeredReversal(queryable: Db | Tx, key: MessageKey): Promise<CardReversalResponse | undefined> {
    const { rows } = await queryable.query<{ response: CardReversalResponse }>(
      'select response from card_reversals where stan = $1 and rrn = $2 and terminal_id = $3',
      [key.stan, key.rrn, key.terminalId],
    );
    return rows[0]?.response;
  }

  async function reverse(request: CardReversalRequest): Promise<CardReversalResponse> {
    return once(
      () => answeredReversal(db, request),
      () => withTransaction(db, async (tx) => (await reverseWithin(tx, request, 'primary', { pan: request.pan })).response),
    );
  }

  return { reverseWithin, applyAwaitingReversals, answeredReversal, reverse };
}

export type Reversals = ReturnType<typeof createReversals>;
