import { randomUUID } from 'node:crypto';
import type { CardAuthorisationRequest, CardAuthorisationResponse, CardReversalRequest, DeclinedCardAuthorisation, MessageKey } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { isUniqueViolation, type Db, type Tx } from '../platform/db';
import type { PrimaryMetrics } from '../platform/metrics';
import type { CardsService } from '../cards/cards-service';
import type { FeedService } from '../feed/feed-service';
import { cardSchemeAccount, type Ledger, type OverdraftPolicy } from '../ledger/ledger';
import { transactionTypeOf } from './authorisation-decision';

// The card processor's one authorisation store: every card message is recorded under its (STAN,
// RRN, terminal) key, so a repeat gets the original answer and moves no money twice. What each
// feature (authorisations, reversals, clearings, stand-in's advices, hold expiry) reads and
// writes about an authorisation, and the money moves they share, are here.

export interface AuthorisationRow {
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

/** What every part of the card processor works with. */
export interface CardProcessorDeps {
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
}

export type AuthorisationStore = ReturnType<typeof createAuthorisationStore>;

export function createAuthorisationStore(deps: CardProcessorDeps) {
  const { ledger, feed } = deps;

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
    approval: {
      accountId: string;
      mti: '0100' | '0200';
      type: ReturnType<typeof transactionTypeOf>;
      amountMinor: number;
      description: string;
      correlationId: string;
      overdraft: OverdraftPolicy;
    },
  ): Promise<{ holdId: string | null; state: 'held' | 'posted' }> {
    if (approval.mti === '0100') {
      const hold = await ledger.placeHold(tx, {
        ledgerAccountId: approval.accountId,
        amountMinor: approval.amountMinor,
        overdraft: approval.overdraft,
        correlationId: approval.correlationId,
      });
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
        { ledgerAccountId: cardSchemeAccount(approval.accountId), amountMinor: approval.amountMinor },
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
      [
        randomUUID(),
        row.key.stan,
        row.key.rrn,
        row.key.terminalId,
        row.cardId,
        row.accountId,
        row.mti,
        row.processingCode,
        row.amountMinor,
        approved ? row.amountMinor : 0,
        row.response,
        approved,
        row.holdId,
        row.transactionId,
        row.correlationId,
        row.state,
        row.at,
      ],
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
   * Serialises, per original message key, parking a reversal and recording its authorisation:
   * otherwise each transaction could miss the other's uncommitted row and the parked reversal
   * would never be applied. Whoever comes second sees what the first committed.
   */
  async function lockOriginal(tx: Tx, key: MessageKey): Promise<void> {
    await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 7420))', [`${key.stan}/${key.rrn}/${key.terminalId}`]);
  }

  /**
   * Gives back `releaseMinor` of an authorisation's outstanding amount (a hold released, or a
   * posted one credited back) and records what stays authorised: the one release every reversal
   * path (the network's, stand-in's advice of its own, stand-in's acknowledgement of ours) uses.
   * Returns what was released.
   */
  async function releaseAuthorised(
    tx: Tx,
    original: AuthorisationRow,
    releaseMinor: number,
    journal: { correlationId: string; description: string; overdraft: OverdraftPolicy },
  ): Promise<number> {
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
          { ledgerAccountId: cardSchemeAccount(accountId), amountMinor: -releaseMinor },
        ],
      });
      released = releaseMinor;
    }
    const remaining = Number(original.outstanding_minor) - releaseMinor;
    await tx.query('update card_authorisations set outstanding_minor = $2, state = $3 where id = $1', [
      original.id,
      remaining,
      remaining === 0 ? 'reversed' : original.state,
    ]);
    if (original.transaction_id) {
      const sign = transactionTypeOf(original.processing_code) === 'refund' ? 1 : -1;
      await feed.update(
        tx,
        original.transaction_id,
        remaining === 0 ? { status: 'reversed' } : { status: original.state === 'posted' ? 'settled' : 'pending', amountMinor: sign * remaining },
      );
    }
    return released;
  }

  return { findAuthorisation, takeApprovedMoney, storeAuthorisation, once, lockOriginal, releaseAuthorised };
}

/** What stand-in's advice says it approved (shared-contracts ApprovedAuthorisation). */
export interface ApprovedAuthorisation extends MessageKey {
  readonly mti: '0100' | '0200';
  readonly processingCode: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly merchant: CardAuthorisationRequest['merchant'];
  readonly authorisationCode: string;
  readonly transmittedAt: string;
}

/** What stand-in's advice says it declined: the contract's own type. */
export type DeclinedAuthorisation = DeclinedCardAuthorisation;

/** A reversal as primary needs it to act: the network's message, or stand-in's advice of it (no PAN). */
export type ReversalMessage = Pick<CardReversalRequest, 'mti' | 'stan' | 'rrn' | 'terminalId' | 'original' | 'replacementAmountMinor'>;
