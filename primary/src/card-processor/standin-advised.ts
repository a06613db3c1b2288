import type { CardAuthorisationResponse, MessageKey } from '@bank/shared-contracts';
import { type Tx } from '../platform/db';
import { transactionTypeOf } from './authorisation-decision';
import type {
  AuthorisationRow,
  AuthorisationStore,
  CardProcessorDeps,
  ReversalMessage,
  ApprovedAuthorisation,
  DeclinedAuthorisation,
} from './authorisation-store';
import type { Reversals } from './reversals';

// What stand-in advised about card payments while it was in charge: its approvals (and its
// declines) recorded verbatim, its reversals of them, and reversals it acknowledged of authorisations primary made.

export function createStandinAdvised(deps: CardProcessorDeps, store: AuthorisationStore, reversals: Reversals) {
  const { cards, ledger, feed } = deps;
  const { findAuthorisation, lockOriginal, takeApprovedMoney, storeAuthorisation, releaseAuthorised } = store;
  const { reverseWithin, applyAwaitingReversals, answeredReversal } = reversals;

  /** Stand-in's answer to the message, stored under its key as primary stores its own. */
  async function storeStandinAnswer(
    tx: Tx,
    auth: ApprovedAuthorisation | DeclinedAuthorisation,
    card: { id: string; accountId: string },
    correlationId: string,
    stored: {
      answer: Pick<CardAuthorisationResponse, 'responseCode' | 'authorisationCode' | 'approvedAmountMinor' | 'reason'>;
      holdId: string | null;
      transactionId: string | null;
      state: AuthorisationRow['state'];
    },
  ): Promise<void> {
    const response: CardAuthorisationResponse = {
      mti: auth.mti === '0100' ? '0110' : '0210',
      stan: auth.stan,
      rrn: auth.rrn,
      terminalId: auth.terminalId,
      decidedBy: 'standin',
      ...stored.answer,
    };
    await storeAuthorisation(tx, {
      key: auth,
      cardId: card.id,
      accountId: card.accountId,
      mti: auth.mti,
      processingCode: auth.processingCode,
      amountMinor: auth.amountMinor,
      response,
      holdId: stored.holdId,
      transactionId: stored.transactionId,
      correlationId,
      state: stored.state,
      at: new Date(auth.transmittedAt),
    });
  }

  /**
   * Stand-in approved this authorisation while it was in charge: record it verbatim (primary's
   * own decision does not matter now), holding or posting the money even past the overdraft
   * limit, under stand-in's correlation id. A later reversal or clearing from the network then
   * finds it by its message key like any other. Returns whether the overdraft was forced.
   */
  async function recordStandinApproval(
    tx: Tx,
    advice: { cardId: string; correlationId: string; authorisation: ApprovedAuthorisation },
  ): Promise<{ forced: boolean }> {
    const { authorisation: auth, correlationId } = advice;
    // The message key's lock before the account's, in the order card_authorise takes them: a
    // network repeat of this message reaching primary at the same moment waits, then finds it.
    await lockOriginal(tx, auth);
    if (await findAuthorisation(tx, auth, true)) return { forced: false };
    const card = await cards.find(advice.cardId, tx);
    if (!card) throw new Error(`stand-in advised a payment on card ${advice.cardId}, which primary does not know`);
    const type = transactionTypeOf(auth.processingCode);
    const before = await ledger.lockedBalance(tx, card.accountId);
    const { holdId, state } = await takeApprovedMoney(tx, {
      accountId: card.accountId,
      mti: auth.mti,
      type,
      amountMinor: auth.amountMinor,
      description: auth.merchant.name,
      correlationId,
      overdraft: 'force',
    });
    const transaction = await feed.record(tx, {
      accountId: card.accountId,
      kind: type === 'cash' ? 'cash_withdrawal' : 'card_payment',
      status: state === 'posted' ? 'settled' : 'pending',
      amountMinor: -auth.amountMinor,
      currency: auth.currency,
      description: auth.merchant.name,
      merchant: auth.merchant,
      cardId: card.id,
      correlationId,
    });
    await storeStandinAnswer(tx, auth, card, correlationId, {
      answer: {
        responseCode: '00',
        authorisationCode: auth.authorisationCode,
        approvedAmountMinor: auth.amountMinor,
        reason: 'approved by stand-in; applied from its advice',
      },
      holdId,
      transactionId: transaction.id,
      state,
    });
    await applyAwaitingReversals(tx, auth, card.id);
    return { forced: before.availableMinor < auth.amountMinor };
  }

  /**
   * Stand-in declined this authorisation while it was in charge: record its answer under the
   * message key, as primary records its own declines, so a repeat of the message reaching primary
   * later gets the same decline. Nothing moves. If primary already holds an answer under the key
   * (the network tried both platforms), that answer stands: it is the one that may have moved money.
   */
  async function recordStandinDecline(
    tx: Tx,
    advice: { cardId: string; correlationId: string; authorisation: DeclinedAuthorisation },
  ): Promise<{ note?: string }> {
    const { authorisation: auth, correlationId } = advice;
    await lockOriginal(tx, auth);
    const earlier = await findAuthorisation(tx, auth, true);
    if (earlier)
      return {
        note: `primary had already answered ${auth.stan}/${auth.rrn} itself (${earlier.response.responseCode}); stand-in's decline recorded only in its advice`,
      };
    const card = await cards.find(advice.cardId, tx);
    if (!card) throw new Error(`stand-in advised a decline on card ${advice.cardId}, which primary does not know`);
    await storeStandinAnswer(tx, auth, card, correlationId, {
      answer: { responseCode: auth.responseCode, approvedAmountMinor: 0, reason: auth.reason },
      holdId: null,
      transactionId: null,
      state: 'declined',
    });
    // A reversal of it that reached primary first was parked, waiting for an approval: there is
    // none, so it is settled now, releasing nothing, rather than waiting for the hold expiry.
    await applyAwaitingReversals(tx, auth, card.id);
    return {};
  }

  /** Stand-in reversed (part of) one of its approvals: release that much, under the reversal's correlation id. */
  async function recordStandinReversal(
    tx: Tx,
    advice: { original: MessageKey; reversedAmountMinor: number; remainingAmountMinor: number; correlationId: string },
  ): Promise<void> {
    const original = await findAuthorisation(tx, advice.original, true);
    if (!original?.account_id || (original.state !== 'held' && original.state !== 'posted')) return;
    // Stand-in says what remains authorised (the reversal's replacement amount): bring the
    // authorisation down to it, never further. The same reversal may already have reached primary
    // itself (the network repeated it after a routing change); releasing its amount again would
    // give the money back twice.
    const release = Math.min(advice.reversedAmountMinor, Number(original.outstanding_minor) - advice.remainingAmountMinor);
    if (release <= 0) return;
    // Stand-in's approval stands whatever primary's limits say, and so does giving its money back.
    await releaseAuthorised(tx, original, release, { correlationId: advice.correlationId, description: 'reversal (stand-in)', overdraft: 'force' });
  }

  /**
   * Stand-in answered the network 00 to a reversal of an authorisation it did not approve: apply
   * it here exactly as if primary had answered it itself. Returns what was released and, when
   * nothing was, why (the advice is still applied: holding the account's later advices back
   * would not bring the money back).
   */
  async function applyStandinAcknowledgedReversal(
    tx: Tx,
    advice: { cardId: string; reversal: ReversalMessage },
  ): Promise<{ releasedMinor: number; nothingReleasedBecause?: string }> {
    const { reversal } = advice;
    // The original's row lock first: a copy of the same reversal reaching primary from the
    // network commits before we look, or waits until we have recorded ours.
    const original = await findAuthorisation(tx, reversal.original, true);
    if (await answeredReversal(tx, reversal)) return { releasedMinor: 0, nothingReleasedBecause: 'primary had already processed this reversal itself' };
    if (original?.approved && original.card_id !== advice.cardId) {
      // The advice is applied in its account's order: it must not move money on another card's account.
      return { releasedMinor: 0, nothingReleasedBecause: `the authorisation it reverses was made on card ${original.card_id}, not the advised card` };
    }
    const { response, releasedMinor } = await reverseWithin(tx, reversal, 'standin', { cardId: advice.cardId });
    return releasedMinor > 0 ? { releasedMinor } : { releasedMinor, nothingReleasedBecause: response.reason ?? 'nothing to release' };
  }

  return { recordStandinApproval, recordStandinDecline, recordStandinReversal, applyStandinAcknowledgedReversal };
}
