import { randomUUID } from 'node:crypto';
import type { CardClearingRecord, CardClearingResult } from '@bank/shared-contracts';
import { withTransaction, type Tx } from '../platform/db';
import { errors } from '../platform/errors';
import { cardSchemeAccount, type OverdraftPolicy } from '../ledger/ledger';
import { transactionTypeOf } from './authorisation-decision';
import type { AuthorisationStore, CardProcessorDeps } from './authorisation-store';

// Clearings: settlement, not a decision. The system of record takes every clearing, whoever
// authorised the payment: a hold is settled and the cleared amount posted.

export function createClearings(deps: CardProcessorDeps, store: AuthorisationStore) {
  const { db, clock, ledger, cards, feed, metrics } = deps;
  const { findAuthorisation, once, storeAuthorisation } = store;

  /** Whether to send this clearing back for now: see `clearingMatchWaitMs`. */
  async function awaitingAuthorisation(record: CardClearingRecord): Promise<{ waitedMs: number } | undefined> {
    if (!record.original || deps.clearingMatchWaitMs <= 0 || (await findAuthorisation(db, record.original))) return undefined;
    const now = clock.now();
    const { rows } = await db.query<{ first_presented_at: Date }>(
      `insert into clearings_awaiting_authorisation (clearing_id, first_presented_at) values ($1, $2)
       on conflict (clearing_id) do update set clearing_id = excluded.clearing_id returning first_presented_at`,
      [record.clearingId, now],
    );
    const waitedMs = now.getTime() - rows[0]!.first_presented_at.getTime();
    return waitedMs < deps.clearingMatchWaitMs ? { waitedMs } : undefined;
  }

  async function clear(record: CardClearingRecord): Promise<CardClearingResult> {
    return once(
      async () =>
        (await db.query<{ result: CardClearingResult }>('select result from card_clearings where clearing_id = $1', [record.clearingId])).rows[0]?.result,
      async () => {
        const awaiting = await awaitingAuthorisation(record);
        if (awaiting) {
          metrics.clearingsDeferred.inc();
          throw errors.clearingAwaitingAuthorisation(deps.clearingMatchWaitMs - awaiting.waitedMs);
        }
        return withTransaction(db, async (tx) => {
          const result = await settle(tx, record);
          await tx.query('insert into card_clearings (clearing_id, result, created_at) values ($1, $2, $3)', [record.clearingId, result, clock.now()]);
          // Settled: its wait, if it had one, is over.
          await tx.query('delete from clearings_awaiting_authorisation where clearing_id = $1', [record.clearingId]);
          return result;
        });
      },
    );
  }

  async function settle(tx: Tx, record: CardClearingRecord): Promise<CardClearingResult> {
    const card = await cards.findByPan(tx, record.pan);
    if (!card) return { clearingId: record.clearingId, status: 'rejected', reason: 'unknown card' };
    const original = record.original ? await findAuthorisation(tx, record.original, true) : undefined;
    const type = transactionTypeOf(record.processingCode);
    if (original?.state === 'posted' || original?.state === 'cleared') {
      return {
        clearingId: record.clearingId,
        status: 'settled',
        reason: `authorisation already ${original.state === 'posted' ? 'posted as a single message' : 'cleared'}`,
      };
    }
    const correlationId = original?.correlation_id ?? randomUUID();
    const credit = type === 'refund';
    if (original?.hold_id && original.state === 'held') await ledger.settleHold(tx, original.hold_id);
    // The network has already paid the merchant: a clearing is posted even past the overdraft limit (and flagged).
    const overdraft: OverdraftPolicy = 'force';
    const amount = credit ? record.amountMinor : -record.amountMinor;
    await ledger.post(tx, {
      kind: credit ? 'card.refund' : 'card.clearing',
      description: record.merchant.name,
      correlationId,
      overdraft,
      postings: [
        { ledgerAccountId: card.accountId, amountMinor: amount },
        { ledgerAccountId: cardSchemeAccount(card.accountId), amountMinor: -amount },
      ],
    });
    if (original) {
      await tx.query("update card_authorisations set state = 'cleared', outstanding_minor = 0 where id = $1", [original.id]);
      if (original.transaction_id) await feed.update(tx, original.transaction_id, { status: 'settled', amountMinor: amount });
    } else {
      const transaction = await feed.record(tx, {
        accountId: card.accountId,
        kind: credit ? 'card_refund' : type === 'cash' ? 'cash_withdrawal' : 'card_payment',
        status: 'settled',
        amountMinor: amount,
        currency: record.currency,
        description: record.merchant.name,
        merchant: record.merchant,
        cardId: card.id,
        correlationId,
      });
      // Posted without its authorisation (none came within CLEARING_MATCH_WAIT_MS). If stand-in's
      // approval of it is advised after all, it must find the money already taken and not hold it
      // again: the key is recorded as cleared (not approved here; a repeat of it gets 12).
      if (record.original) {
        await storeAuthorisation(tx, {
          key: record.original,
          cardId: card.id,
          accountId: card.accountId,
          mti: '0100',
          processingCode: record.processingCode,
          amountMinor: record.amountMinor,
          response: {
            mti: '0110',
            ...record.original,
            responseCode: '12',
            approvedAmountMinor: 0,
            decidedBy: 'primary',
            reason: 'cleared before any authorisation was known; the clearing was posted',
          },
          holdId: null,
          transactionId: transaction.id,
          correlationId,
          state: 'cleared',
          at: clock.now(),
        });
      }
    }
    return { clearingId: record.clearingId, status: 'settled' };
  }

  return { clear };
}
