import { randomUUID } from 'node:crypto';
import type {
  CardAuthorisationRequest,
  CardAuthorisationResponse,
  CardClearingRecord,
  CardClearingResult,
  CardReversalRequest,
  CardReversalResponse,
  MessageKey,
} from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { isUniqueViolation, withTransaction, type Db, type Tx } from '../platform/db';
import { errors } from '../platform/errors';
import type { PrimaryMetrics } from '../platform/metrics';
import type { CardsService } from '../cards/cards-service';
import type { FeedService } from '../feed/feed-service';
import { INTERNAL_ACCOUNTS, type Ledger, type OverdraftPolicy } from '../ledger/ledger';
import { transactionTypeOf } from './authorisation-decision';
import { authoriseInDatabase, storedAuthorisationAnswer } from './authorise-in-database';
import { DEFAULT_CARD_BUDGET_MS } from './card-budget';

// The scheme-facing card processor: authorisations place holds (or post, for single-message
// 0200s such as ATM cash), reversals release them, clearings settle them. Every message is
// recorded under its (STAN, RRN, terminal) key, so a repeat gets the original answer and
// moves no money twice.

interface AuthorisationRow {
  id: string;
  card_id: string | null;
  account_id: string | null;
  mti: string;
  processing_code: string;
  amount_minor: string;
  outstanding_minor: string;
  response: CardAuthorisationResponse;
  approved: boolean;
  hold_id: string | null;
  transaction_id: string | null;
  correlation_id: string;
  state: 'declined' | 'held' | 'posted' | 'reversed' | 'cleared' | 'expired';
}

export type CardProcessor = ReturnType<typeof createCardProcessor>;

export function createCardProcessor(deps: {
  db: Db;
  /** Where authorisations are decided (their own pool in main.ts), one round trip each. */
  authorisationDb: Db;
  clock: Clock;
  ledger: Ledger;
  cards: CardsService;
  feed: FeedService;
  metrics: PrimaryMetrics;
  /**
   * A clearing for an authorisation primary has not heard of is sent back (503, present again)
   * for this long after it was first presented: stand-in may have approved it, and its advice be
   * on the way. Posted at once, the clearing and the advice's hold applied later would take the
   * money twice. After the wait it is posted as it stands (the network approved it without us).
   */
  clearingMatchWaitMs: number;
}) {
  const { db, clock, ledger, cards, feed, metrics } = deps;

  async function findAuthorisation(queryable: Db | Tx, key: MessageKey, lock = false): Promise<AuthorisationRow | undefined> {
    const { rows } = await queryable.query<AuthorisationRow>(
      `select * from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3${lock ? ' for update' : ''}`,
      [key.stan, key.rrn, key.terminalId],
    );
    return rows[0];
  }

  /**
   * The money side of an approved purchase or cash authorisation: a hold for a dual message
   * (0100, settled later by clearing), a posting for a single message (0200, e.g. ATM cash).
   */
  async function takeApprovedMoney(
    tx: Tx,
    approval: { accountId: string; mti: '0100' | '0200'; type: ReturnType<typeof transactionTypeOf>; amountMinor: number; description: string; correlationId: string; overdraft: OverdraftPolicy },
  ): Promise<{ holdId: string | null; state: 'held' | 'posted' }> {
    if (approval.mti === '0100') {
      const hold = await ledger.placeHold(tx, { ledgerAccountId: approval.accountId, amountMinor: approval.amountMinor, overdraft: approval.overdraft, correlationId: approval.correlationId });
      if (!hold.ok) throw new Error('hold refused after an approval under the same lock');
      return { holdId: hold.holdId, state: 'held' };
    }
    const posted = await ledger.post(tx, {
      kind: approval.type === 'cash' ? 'card.cash_withdrawal' : 'card.financial',
      description: approval.description,
      correlationId: approval.correlationId,
      overdraft: approval.overdraft,
      postings: [
        { ledgerAccountId: approval.accountId, amountMinor: -approval.amountMinor },
        { ledgerAccountId: INTERNAL_ACCOUNTS.cardScheme, amountMinor: approval.amountMinor },
      ],
    });
    if (!posted.ok) throw new Error('posting refused after an approval under the same lock');
    return { holdId: null, state: 'posted' };
  }

  /** Records an answered authorisation under its message key, so a repeat gets this answer. */
  async function storeAuthorisation(
    tx: Tx,
    row: {
      key: MessageKey;
      cardId: string | null;
      accountId: string | null;
      mti: string;
      processingCode: string;
      amountMinor: number;
      response: CardAuthorisationResponse;
      holdId: string | null;
      transactionId: string | null;
      correlationId: string;
      state: AuthorisationRow['state'];
      at: Date;
    },
  ): Promise<void> {
    const approved = row.response.responseCode === '00';
    await tx.query(
      `insert into card_authorisations
         (id, stan, rrn, terminal_id, card_id, account_id, mti, processing_code, amount_minor, outstanding_minor, response, approved, hold_id, transaction_id, correlation_id, state, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [randomUUID(), row.key.stan, row.key.rrn, row.key.terminalId, row.cardId, row.accountId, row.mti, row.processingCode, row.amountMinor, approved ? row.amountMinor : 0, row.response, approved, row.holdId, row.transactionId, row.correlationId, row.state, row.at],
    );
  }

  /** Runs `work` unless the message was seen before; a concurrent duplicate loses the insert race and gets the winner's answer. */
  async function once<T>(lookup: () => Promise<T | undefined>, work: () => Promise<T>): Promise<T> {
    const previous = await lookup();
    if (previous !== undefined) return previous;
    try {
      return await work();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await lookup();
      if (winner === undefined) throw error;
      return winner;
    }
  }

  /**
   * Decides an authorisation in one database round trip (authorise-in-database.ts). `deadlineAt`
   * is when the network stops waiting for primary's own answer (routes.ts keeps a little of the
   * card budget back to answer in): the database rolls the decision back rather than commit it
   * after that. A commit whose answer is lost on the way back may still have landed: the caller
   * re-reads the message key before it answers 91 (`storedAnswer`).
   */
  async function authorise(request: CardAuthorisationRequest, options: { readonly deadlineAt?: Date; readonly budgetMs?: number } = {}): Promise<CardAuthorisationResponse> {
    const budgetMs = options.budgetMs ?? DEFAULT_CARD_BUDGET_MS;
    const deadlineAt = options.deadlineAt ?? new Date(Date.now() + budgetMs);
    const { response, repeated } = await authoriseInDatabase(deps.authorisationDb, request, { panIndex: cards.panIndexOf(request.pan), now: clock.now(), deadlineAt, budgetMs });
    if (!repeated) metrics.cardDecisions.inc({ response_code: response.responseCode });
    return response;
  }

  /** What primary answered this message, if it has: read before answering 91 when a commit's outcome went unheard. */
  const storedAnswer = (key: MessageKey): Promise<CardAuthorisationResponse | undefined> => storedAuthorisationAnswer(deps.authorisationDb, key);

  /**
   * A reversal's whole effect, in the caller's transaction: releases what the network no longer
   * authorises (the replacement amount is what stays authorised) and records the answer under
   * the reversal's own key, so the network's repeat of it gets that answer and moves nothing.
   */
  async function reverseWithin(tx: Tx, request: ReversalMessage, decidedBy: 'primary' | 'standin', options: { recordAnswer: boolean } = { recordAnswer: true }): Promise<{ response: CardReversalResponse; releasedMinor: number }> {
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
    if (!original) {
      // Acknowledged (the network repeats an unanswered reversal, it does not wait), and kept: a
      // stand-in approval whose advice has not arrived yet is reversed the moment it does.
      response = answer('no authorisation known yet; it is reversed if one is advised');
      const { mti, stan, rrn, terminalId, original: key, replacementAmountMinor } = request;
      await tx.query(
        `insert into reversals_awaiting_authorisation (stan, rrn, terminal_id, original_stan, original_rrn, original_terminal_id, reversal, decided_by, received_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict do nothing`,
        [stan, rrn, terminalId, key.stan, key.rrn, key.terminalId, { mti, stan, rrn, terminalId, original: key, ...(replacementAmountMinor === undefined ? {} : { replacementAmountMinor }) }, decidedBy, clock.now()],
      );
    } else if (!original.approved || !original.account_id) {
      response = answer('no approved authorisation to reverse');
    } else if (original.state !== 'held' && original.state !== 'posted') {
      response = answer(`authorisation already ${original.state}`);
    } else {
      const remaining = Math.min(request.replacementAmountMinor ?? 0, Number(original.outstanding_minor));
      releasedMinor = await releaseAuthorised(tx, original, Number(original.outstanding_minor) - remaining, { correlationId: original.correlation_id, description: 'reversal', overdraft: 'enforce' });
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
   * Serialises, per original message key, parking a reversal and recording its authorisation:
   * otherwise each transaction could miss the other's uncommitted row and the parked reversal
   * would never be applied. Whoever comes second sees what the first committed.
   */
  async function lockOriginal(tx: Tx, key: MessageKey): Promise<void> {
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7420))', [`${key.stan}/${key.rrn}/${key.terminalId}`]);
  }

  /** Applies, in arrival order, the reversals acknowledged before this authorisation was known (their answers already stand). */
  async function applyAwaitingReversals(tx: Tx, key: MessageKey): Promise<void> {
    await lockOriginal(tx, key);
    const { rows } = await tx.query<{ reversal: ReversalMessage; decided_by: 'primary' | 'standin'; received_at: Date }>(
      'delete from reversals_awaiting_authorisation where original_stan = $1 and original_rrn = $2 and original_terminal_id = $3 returning reversal, decided_by, received_at',
      [key.stan, key.rrn, key.terminalId],
    );
    for (const row of rows.sort((a, b) => a.received_at.getTime() - b.received_at.getTime())) await reverseWithin(tx, row.reversal, row.decided_by, { recordAnswer: false });
  }

  async function answeredReversal(queryable: Db | Tx, key: MessageKey): Promise<CardReversalResponse | undefined> {
    const { rows } = await queryable.query<{ response: CardReversalResponse }>('select response from card_reversals where stan = $1 and rrn = $2 and terminal_id = $3', [key.stan, key.rrn, key.terminalId]);
    return rows[0]?.response;
  }

  async function reverse(request: CardReversalRequest): Promise<CardReversalResponse> {
    return once(
      () => answeredReversal(db, request),
      () => withTransaction(db, async (tx) => (await reverseWithin(tx, request, 'primary')).response),
    );
  }

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
      async () => (await db.query<{ result: CardClearingResult }>('select result from card_clearings where clearing_id = $1', [record.clearingId])).rows[0]?.result,
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
      return { clearingId: record.clearingId, status: 'settled', reason: `authorisation already ${original.state === 'posted' ? 'posted as a single message' : 'cleared'}` };
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
        { ledgerAccountId: INTERNAL_ACCOUNTS.cardScheme, amountMinor: -amount },
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
          response: { mti: '0110', ...record.original, responseCode: '12', approvedAmountMinor: 0, decidedBy: 'primary', reason: 'cleared before any authorisation was known; the clearing was posted' },
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

  /**
   * Stand-in approved this authorisation while it was in charge: record it verbatim (primary's
   * own decision does not matter now), holding or posting the money even past the overdraft
   * limit, under stand-in's correlation id. A later reversal or clearing from the network then
   * finds it by its message key like any other. Returns whether the overdraft was forced.
   */
  async function recordStandinApproval(tx: Tx, advice: { cardId: string; correlationId: string; authorisation: ApprovedAuthorisation }): Promise<{ forced: boolean }> {
    const { authorisation: auth, correlationId } = advice;
    // The message key's lock before the account's, in the order card_authorise takes them: a
    // network repeat of this message reaching primary at the same moment waits, then finds it.
    await lockOriginal(tx, auth);
    if (await findAuthorisation(tx, auth, true)) return { forced: false };
    const card = await cards.find(advice.cardId, tx);
    if (!card) throw new Error(`stand-in advised a payment on card ${advice.cardId}, which primary does not know`);
    const type = transactionTypeOf(auth.processingCode);
    const before = await ledger.lockedBalance(tx, card.accountId);
    const { holdId, state } = await takeApprovedMoney(tx, { accountId: card.accountId, mti: auth.mti, type, amountMinor: auth.amountMinor, description: auth.merchant.name, correlationId, overdraft: 'force' });
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
    const response: CardAuthorisationResponse = {
      mti: auth.mti === '0100' ? '0110' : '0210',
      stan: auth.stan,
      rrn: auth.rrn,
      terminalId: auth.terminalId,
      responseCode: '00',
      authorisationCode: auth.authorisationCode,
      approvedAmountMinor: auth.amountMinor,
      decidedBy: 'standin',
      reason: 'approved by stand-in; applied from its advice',
    };
    await storeAuthorisation(tx, {
      key: auth,
      cardId: card.id,
      accountId: card.accountId,
      mti: auth.mti,
      processingCode: auth.processingCode,
      amountMinor: auth.amountMinor,
      response,
      holdId,
      transactionId: transaction.id,
      correlationId,
      state,
      at: new Date(auth.transmittedAt),
    });
    await applyAwaitingReversals(tx, auth);
    return { forced: before.availableMinor < auth.amountMinor };
  }

  /** Stand-in reversed (part of) one of its approvals: release that much, under the reversal's correlation id. */
  async function recordStandinReversal(tx: Tx, advice: { original: MessageKey; reversedAmountMinor: number; remainingAmountMinor: number; correlationId: string }): Promise<void> {
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
   * Gives back `releaseMinor` of an authorisation's outstanding amount (a hold released, or a
   * posted one credited back) and records what stays authorised: the one release every reversal
   * path (the network's, stand-in's advice of its own, stand-in's acknowledgement of ours) uses.
   * Returns what was released.
   */
  async function releaseAuthorised(tx: Tx, original: AuthorisationRow, releaseMinor: number, journal: { correlationId: string; description: string; overdraft: OverdraftPolicy }): Promise<number> {
    const accountId = original.account_id!;
    let released = 0;
    if (releaseMinor > 0 && original.hold_id) {
      await ledger.releaseHold(tx, original.hold_id, releaseMinor, journal.correlationId);
      released = releaseMinor;
    } else if (releaseMinor > 0 && original.state === 'posted') {
      await ledger.post(tx, {
        kind: 'card.reversal',
        description: journal.description,
        correlationId: journal.correlationId,
        overdraft: journal.overdraft,
        postings: [
          { ledgerAccountId: accountId, amountMinor: releaseMinor },
          { ledgerAccountId: INTERNAL_ACCOUNTS.cardScheme, amountMinor: -releaseMinor },
        ],
      });
      released = releaseMinor;
    }
    const remaining = Number(original.outstanding_minor) - releaseMinor;
    await tx.query('update card_authorisations set outstanding_minor = $2, state = $3 where id = $1', [original.id, remaining, remaining === 0 ? 'reversed' : original.state]);
    if (original.transaction_id) {
      const sign = transactionTypeOf(original.processing_code) === 'refund' ? 1 : -1;
      await feed.update(tx, original.transaction_id, remaining === 0 ? { status: 'reversed' } : { status: original.state === 'posted' ? 'settled' : 'pending', amountMinor: sign * remaining });
    }
    return released;
  }

  /**
   * Stand-in answered the network 00 to a reversal of an authorisation it did not approve: apply
   * it here exactly as if primary had answered it itself. Returns what was released and, when
   * nothing was, why (the advice is still applied: holding the account's later advices back
   * would not bring the money back).
   */
  async function applyStandinAcknowledgedReversal(tx: Tx, advice: { cardId: string; reversal: ReversalMessage }): Promise<{ releasedMinor: number; nothingReleasedBecause?: string }> {
    const { reversal } = advice;
    // The original's row lock first: a copy of the same reversal reaching primary from the
    // network commits before we look, or waits until we have recorded ours.
    const original = await findAuthorisation(tx, reversal.original, true);
    if (await answeredReversal(tx, reversal)) return { releasedMinor: 0, nothingReleasedBecause: 'primary had already processed this reversal itself' };
    if (original?.approved && original.card_id !== advice.cardId) {
      // The advice is applied in its account's order: it must not move money on another card's account.
      return { releasedMinor: 0, nothingReleasedBecause: `the authorisation it reverses was made on card ${original.card_id}, not the advised card` };
    }
    const { response, releasedMinor } = await reverseWithin(tx, reversal, 'standin');
    return releasedMinor > 0 ? { releasedMinor } : { releasedMinor, nothingReleasedBecause: response.reason ?? 'nothing to release' };
  }

  /**
   * Authorisation holds nobody cleared by `olderThan` (HOLD_EXPIRY_DAYS ago, as schemes allow) are
   * released, each in its own transaction: the balance announced and the feed entry marked reversed,
   * like a reversal, and the authorisation recorded as expired. A clearing that comes later still
   * settles, as a posting (`settle`). Reversals parked that long for an authorisation that never
   * came are removed too. At most `limit` of each per call: the caller sweeps again.
   */
  async function expireHolds(olderThan: Date, limit: number): Promise<{ expired: MessageKey[]; parkedReversalsRemoved: MessageKey[] }> {
    const { rows: candidates } = await db.query<{ stan: string; rrn: string; terminal_id: string }>(
      "select stan, rrn, terminal_id from card_authorisations where state = 'held' and hold_id is not null and created_at < $1 order by created_at limit $2",
      [olderThan, limit],
    );
    const expired: MessageKey[] = [];
    for (const candidate of candidates) {
      const key = { stan: candidate.stan, rrn: candidate.rrn, terminalId: candidate.terminal_id };
      const released = await withTransaction(db, async (tx) => {
        await lockOriginal(tx, key);
        const original = await findAuthorisation(tx, key, true);
        // Cleared or reversed meanwhile: nothing left to expire.
        if (original?.state !== 'held' || !original.hold_id) return false;
        await releaseAuthorised(tx, original, Number(original.outstanding_minor), { correlationId: original.correlation_id, description: 'authorisation hold expired', overdraft: 'enforce' });
        await tx.query("update card_authorisations set state = 'expired' where id = $1", [original.id]);
        return true;
      });
      if (released) expired.push(key);
    }
    const { rows: removed } = await db.query<{ stan: string; rrn: string; terminal_id: string }>(
      `delete from reversals_awaiting_authorisation where (stan, rrn, terminal_id) in
         (select stan, rrn, terminal_id from reversals_awaiting_authorisation where received_at < $1 order by received_at limit $2)
       returning stan, rrn, terminal_id`,
      [olderThan, limit],
    );
    return { expired, parkedReversalsRemoved: removed.map((row) => ({ stan: row.stan, rrn: row.rrn, terminalId: row.terminal_id })) };
  }

  return { authorise, storedAnswer, expireHolds, reverse, clear, recordStandinApproval, recordStandinReversal, applyStandinAcknowledgedReversal };
}

/** What stand-in's advice says it approved (shared-contracts ApprovedCardAuthorisation). */
export interface ApprovedAuthorisation extends MessageKey {
  readonly mti: '0100' | '0200';
  readonly processingCode: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly merchant: CardAuthorisationRequest['merchant'];
  readonly authorisationCode: string;
  readonly transmittedAt: string;
}

/** A reversal as primary needs it to act: the network's message, or stand-in's advice of it (no PAN). */
export type ReversalMessage = Pick<CardReversalRequest, 'mti' | 'stan' | 'rrn' | 'terminalId' | 'original' | 'replacementAmountMinor'>;
