import type { AccountStatus, Advice, AdviceOutcome, AppliedAdvicesPage, AppliedAdvicesQuery } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { errors, PrimaryError } from '../platform/errors';
import { appendEvent } from '../outbox/outbox';
import type { AccountsService } from '../accounts/accounts-service';
import type { CardsService } from '../cards/cards-service';
import type { CardProcessor } from '../card-processor/card-processor';
import type { FeedService } from '../feed/feed-service';
import { fasterPaymentsAccount, type Ledger } from '../ledger/ledger';
import type { InboundFasterPayments } from '../transfers/inbound-faster-payments';
import { createAdviceBatch } from './advice-batch';

// Applies stand-in's advices verbatim: stand-in's decision stands, even where primary would
// have declined. Each advice is applied exactly once (its id is recorded in the same transaction
// as its effect) and each account's advices in stand-in's order (a later one waits for the
// missing one, which reconciliation can re-drive from stand-in's log).
//
// An advice primary refuses (an account or card it does not know, an effect it cannot make) is
// quarantined with its reason and the account's turn moves past it: stand-in's later decisions
// stand on their own (an approval does not depend on an earlier advice having been applied here),
// so nothing else of the customer is held back, and the quarantined one waits, listed, for an
// operator to re-drive it once the cause is fixed. An advice that takes a place in the account's
// sequence already taken by another id (stand-in's database restored from a backup re-used its
// sequences) is a conflict: refused and reported, never taken for a duplicate and lost.

/** `note` of an applied advice: why it moved no money, for the log (it is applied all the same, so the account's later advices are not held back). */
export type { AdviceOutcome };

export interface QuarantinedAdvice {
  readonly adviceId: string;
  readonly accountId: string;
  readonly sequence: number;
  readonly type: string;
  readonly reason: string;
  readonly quarantinedAt: string;
}

/** What primary refuses to apply (the caller's or the data's problem, not primary's health): quarantined, not retried. */
export const isRefusal = (error: unknown): error is PrimaryError => error instanceof PrimaryError && error.statusCode >= 400 && error.statusCode < 500;

export type AdviceApplier = ReturnType<typeof createAdviceApplier>;

export function createAdviceApplier(deps: {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  accounts: AccountsService;
  cards: CardsService;
  cardProcessor: CardProcessor;
  feed: FeedService;
  inboundFasterPayments: InboundFasterPayments;
}) {
  const { db, clock, ledger, accounts, cards, cardProcessor, feed, inboundFasterPayments } = deps;

  async function moveMoney(
    tx: Tx,
    advice: Advice & { payload: { fpsId: string } },
    amountMinor: number,
    description: string,
    kind: 'faster_payment_out' | 'faster_payment_in',
    counterparty: { sortCode: string; accountNumber: string; name: string },
  ) {
    const before = await ledger.lockedBalance(tx, advice.accountId);
    await ledger.post(tx, {
      kind: kind === 'faster_payment_in' ? 'faster_payment.inbound' : 'faster_payment.outbound',
      description,
      correlationId: advice.correlationId,
      overdraft: 'force',
      postings: [
        { ledgerAccountId: advice.accountId, amountMinor },
        { ledgerAccountId: fasterPaymentsAccount(advice.accountId), amountMinor: -amountMinor },
      ],
    });
    await feed.record(tx, {
      accountId: advice.accountId,
      kind,
      status: 'settled',
      amountMinor,
      currency: 'GBP',
      description,
      counterparty,
      correlationId: advice.correlationId,
      fpsId: advice.payload.fpsId,
    });
    return before.availableMinor + Math.min(amountMinor, 0) < 0;
  }

  /** The effect of one advice, in the caller's transaction: whether it took the account past its limit, and why it moved nothing if it should have. */
  async function effect(tx: Tx, advice: Advice): Promise<{ forced: boolean; note?: string }> {
    switch (advice.type) {
      case 'card_payment.approved':
      case 'cash.withdrawn':
        return {
          forced: (
            await cardProcessor.recordStandinApproval(tx, {
              cardId: advice.payload.cardId,
              correlationId: advice.correlationId,
              authorisation: advice.payload.authorisation,
            })
          ).forced,
        };
      case 'card_payment.declined': {
        const { note } = await cardProcessor.recordStandinDecline(tx, {
          cardId: advice.payload.cardId,
          correlationId: advice.correlationId,
          authorisation: advice.payload.authorisation,
        });
        return note ? { forced: false, note } : { forced: false };
      }
      case 'card_payment.reversed':
        await cardProcessor.recordStandinReversal(tx, {
          original: advice.payload.original,
          reversedAmountMinor: advice.payload.reversedAmountMinor,
          remainingAmountMinor: advice.payload.remainingAmountMinor,
          correlationId: advice.correlationId,
        });
        return { forced: false };
      case 'card_payment.reversal_acknowledged': {
        const { nothingReleasedBecause } = await cardProcessor.applyStandinAcknowledgedReversal(tx, {
          cardId: advice.payload.cardId,
          reversal: advice.payload.reversal,
        });
        return nothingReleasedBecause
          ? { forced: false, note: `reversal ${advice.payload.reversal.stan}/${advice.payload.reversal.rrn} released nothing: ${nothingReleasedBecause}` }
          : { forced: false };
      }
      case 'transfer.sent':
        return {
          forced: await moveMoney(
            tx,
            advice,
            -advice.payload.amountMinor,
            advice.payload.reference ? `${advice.payload.creditor.name}: ${advice.payload.reference}` : advice.payload.creditor.name,
            'faster_payment_out',
            advice.payload.creditor,
          ),
        };
      case 'transfer.received': {
        const { fpsId, amountMinor } = advice.payload;
        if ((await inboundFasterPayments.claimForStandin(tx, { fpsId, accountId: advice.accountId, amountMinor })) === 'already_credited')
          return { forced: false, note: `Faster Payment ${fpsId} was already credited by primary` };
        return {
          forced: await moveMoney(
            tx,
            advice,
            amountMinor,
            advice.payload.reference ? `${advice.payload.debtor.name}: ${advice.payload.reference}` : advice.payload.debtor.name,
            'faster_payment_in',
            advice.payload.debtor,
          ),
        };
      }
      case 'card.frozen':
      case 'card.unfrozen': {
        const card = await cards.find(advice.payload.cardId, tx);
        // Cancelled is final: an unfreeze advised after a cancellation changes nothing.
        if (card && card.status !== 'cancelled')
          await cards.change(card.id, advice.type === 'card.frozen' ? 'freeze' : 'unfreeze', 'applied from stand-in', tx);
        return { forced: false };
      }
    }
  }

  /** The record (ledger flag, forced journal) is written by the ledger; the event tells everyone else. */
  async function announceForcedOverdraft(tx: Tx, advice: Advice, accountStatus: AccountStatus): Promise<void> {
    const balance = await ledger.lockedBalance(tx, advice.accountId);
    await appendEvent(tx, clock, {
      type: 'account.updated',
      accountId: advice.accountId,
      correlationId: advice.correlationId,
      payload: { status: accountStatus, overdraftLimitMinor: balance.overdraftLimitMinor, unapprovedOverdraft: true },
    });
  }

  const batch = createAdviceBatch({ db, clock, ledger, effect, announceForcedOverdraft, isRefusal });

  /** Takes the account's turn (row lock); an outcome when the advice must not be applied now. */
  async function takeTurn(tx: Tx, advice: Advice): Promise<AdviceOutcome | undefined> {
    await tx.query('insert into advice_progress (account_id, last_sequence) values ($1, 0) on conflict do nothing', [advice.accountId]);
    const { rows } = await tx.query<{ last_sequence: number }>('select last_sequence from advice_progress where account_id = $1 for update', [
      advice.accountId,
    ]);
    const last = rows[0]!.last_sequence;
    const seen = await tx.query('select 1 from applied_advices where advice_id = $1', [advice.adviceId]);
    if (seen.rowCount) return { outcome: 'duplicate' };
    // Delivered again (or re-driven from stand-in's log) while it waits for an operator: still set aside, for the same reason.
    const setAside = await tx.query<{ reason: string }>('select reason from quarantined_advices where advice_id = $1 and redriven_at is null', [
      advice.adviceId,
    ]);
    if (setAside.rows[0]) return { outcome: 'quarantined', reason: setAside.rows[0].reason };
    if (advice.sequence <= last) {
      const holder = await tx.query<{ advice_id: string }>(
        'select advice_id from applied_advices where account_id = $1 and sequence = $2 union all select advice_id from quarantined_advices where account_id = $1 and sequence = $2',
        [advice.accountId, advice.sequence],
      );
      return { outcome: 'conflict', sequence: advice.sequence, heldBy: holder.rows[0]?.advice_id ?? 'unknown' };
    }
    if (advice.sequence > last + 1) return { outcome: 'out_of_order', expectedSequence: last + 1 };
    return undefined;
  }

  /** The advice's effect and its record as applied, in the caller's transaction; throws a PrimaryError (4xx) when primary refuses it. */
  async function applyEffect(tx: Tx, advice: Advice): Promise<AdviceOutcome> {
    if (!(await accounts.find(advice.accountId, tx))) throw errors.adviceNotApplicable(`account ${advice.accountId} is unknown to primary`);
    if ('cardId' in advice.payload) {
      const card = await cards.find(advice.payload.cardId, tx);
      if (!card || card.accountId !== advice.accountId)
        throw errors.adviceNotApplicable(`card ${advice.payload.cardId} is not a card of account ${advice.accountId}`);
    }
    const before = await tx.query<{ last: string | null }>('select max(id) as last from outbox_events');
    const { forced, note } = await effect(tx, advice);
    // Stand-in counts its own record of this effect until an event with the advice's
    // correlation id reaches it. An advice that moved nothing here (a reversal of a payment
    // already cleared, an approval primary already held) would leave it counted for ever:
    // announce the balance as it is, under that id, so stand-in's view meets primary's.
    const announced = await tx.query(`select 1 from outbox_events where id > $1 and account_id = $2 and event->>'correlationId' = $3 limit 1`, [
      before.rows[0]?.last ?? 0,
      advice.accountId,
      advice.correlationId,
    ]);
    if (!announced.rowCount) await ledger.announceBalance(tx, advice.accountId, advice.correlationId);
    if (forced) await announceForcedOverdraft(tx, advice, (await accounts.find(advice.accountId, tx))?.status ?? 'open');
    await tx.query(
      'insert into applied_advices (advice_id, account_id, sequence, type, correlation_id, forced_overdraft, applied_at, note) values ($1, $2, $3, $4, $5, $6, $7, $8)',
      [advice.adviceId, advice.accountId, advice.sequence, advice.type, advice.correlationId, forced, clock.now(), note ?? null],
    );
    return note ? { outcome: 'applied', forcedOverdraft: forced, note } : { outcome: 'applied', forcedOverdraft: forced };
  }

  const moveTurnPast = (tx: Tx, advice: Advice) =>
    tx.query('update advice_progress set last_sequence = $2 where account_id = $1', [advice.accountId, advice.sequence]);

  return {
    /** A batch of advices in one transaction (the advice consumer's path): see advice-batch.ts. */
    applyBatch: batch.apply,

    async apply(advice: Advice): Promise<AdviceOutcome> {
      let refusal: PrimaryError;
      try {
        return await withTransaction(db, async (tx) => {
          const turn = await takeTurn(tx, advice);
          if (turn) return turn;
          const applied = await applyEffect(tx, advice);
          await moveTurnPast(tx, advice);
          return applied;
        });
      } catch (error) {
        if (!isRefusal(error)) throw error;
        refusal = error;
      }
      // Refused: its effect rolled back with its transaction. In its turn, it is quarantined and the turn moves on.
      return withTransaction(db, async (tx) => {
        const turn = await takeTurn(tx, advice);
        if (turn) return turn;
        await tx.query(
          'insert into quarantined_advices (advice_id, account_id, sequence, type, advice, reason, quarantined_at) values ($1, $2, $3, $4, $5, $6, $7)',
          [advice.adviceId, advice.accountId, advice.sequence, advice.type, JSON.stringify(advice), refusal.message, clock.now()],
        );
        await moveTurnPast(tx, advice);
        return { outcome: 'quarantined', reason: refusal.message };
      });
    },

    /**
     * Applies a quarantined advice now, out of its turn (the account moved past it), once its cause
     * is fixed; refused again, it stays quarantined with the new reason.
     */
    async redrive(adviceId: string): Promise<AdviceOutcome> {
      const found = await db.query<{ advice: Advice }>('select advice from quarantined_advices where advice_id = $1 and redriven_at is null', [adviceId]);
      const advice = found.rows[0]?.advice;
      if (!advice) throw errors.notFound(`quarantined advice ${adviceId}`);
      try {
        return await withTransaction(db, async (tx) => {
          const still = await tx.query('select 1 from quarantined_advices where advice_id = $1 and redriven_at is null for update', [adviceId]);
          if (!still.rowCount) return { outcome: 'duplicate' };
          const applied = await applyEffect(tx, advice);
          await tx.query('update quarantined_advices set redriven_at = $2 where advice_id = $1', [adviceId, clock.now()]);
          return applied;
        });
      } catch (error) {
        if (!isRefusal(error)) throw error;
        await db.query('update quarantined_advices set reason = $2 where advice_id = $1 and redriven_at is null', [adviceId, error.message]);
        return { outcome: 'quarantined', reason: error.message };
      }
    },

    /** Advices waiting for an operator, oldest first. */
    async quarantined(limit = 1_000): Promise<QuarantinedAdvice[]> {
      const { rows } = await db.query<{ advice_id: string; account_id: string; sequence: number; type: string; reason: string; quarantined_at: Date }>(
        'select advice_id, account_id, sequence, type, reason, quarantined_at from quarantined_advices where redriven_at is null order by quarantined_at limit $1',
        [limit],
      );
      return rows.map((row) => ({
        adviceId: row.advice_id,
        accountId: row.account_id,
        sequence: row.sequence,
        type: row.type,
        reason: row.reason,
        quarantinedAt: row.quarantined_at.toISOString(),
      }));
    },

    /** Of these advice ids, those applied and those quarantined (not re-driven yet). */
    async known(adviceIds: readonly string[]): Promise<{ applied: string[]; quarantined: string[] }> {
      const { rows } = await db.query<{ advice_id: string; quarantined: boolean }>(
        `select advice_id, false as quarantined from applied_advices where advice_id = any($1::uuid[])
         union all
         select advice_id, true from quarantined_advices where advice_id = any($1::uuid[]) and redriven_at is null`,
        [adviceIds],
      );
      return {
        applied: rows.filter((row) => !row.quarantined).map((row) => row.advice_id),
        quarantined: rows.filter((row) => row.quarantined).map((row) => row.advice_id),
      };
    },

    async quarantinedCount(): Promise<number> {
      const { rows } = await db.query<{ count: string }>('select count(*) as count from quarantined_advices where redriven_at is null');
      return Number(rows[0]?.count ?? 0);
    },

    /** Accounts an advice took past their arranged overdraft: for operations to follow up. */
    async unapprovedOverdrafts(): Promise<{ accountId: string; settledMinor: number; heldMinor: number; overdraftLimitMinor: number }[]> {
      const { rows } = await db.query<{ owner_account_id: string; settled_minor: string; held_minor: string; overdraft_limit_minor: string }>(
        "select owner_account_id, settled_minor, held_minor, overdraft_limit_minor from ledger_accounts where kind = 'customer' and unapproved_overdraft order by owner_account_id",
      );
      return rows.map((row) => ({
        accountId: row.owner_account_id,
        settledMinor: Number(row.settled_minor),
        heldMinor: Number(row.held_minor),
        overdraftLimitMinor: Number(row.overdraft_limit_minor),
      }));
    },

    /**
     * What primary has applied, a page at a time (keyset on the unique (account, sequence), so a
     * page costs the same however far in), optionally only some accounts': for reconciliation
     * against stand-in's advice log.
     */
    async applied(query: AppliedAdvicesQuery): Promise<AppliedAdvicesPage> {
      const [afterAccount, afterSequence] = query.after === undefined ? [null, null] : query.after.split(':');
      const { rows } = await db.query<{ advice_id: string; account_id: string; sequence: number; type: string; correlation_id: string; note: string | null }>(
        `select advice_id, account_id, sequence, type, correlation_id, note from applied_advices
        where ($1::uuid is null or (account_id, sequence) > ($1::uuid, $2::int)) and ($3::uuid[] is null or account_id = any($3::uuid[]))
        order by account_id, sequence limit $4`,
        [afterAccount, afterSequence === null ? null : Number(afterSequence), query.accounts ?? null, query.limit],
      );
      const last = rows.at(-1);
      return {
        applied: rows.map((row) => ({
          adviceId: row.advice_id,
          accountId: row.account_id,
          sequence: row.sequence,
          type: row.type,
          correlationId: row.correlation_id,
          ...(row.note ? { note: row.note } : {}),
        })),
        ...(rows.length === query.limit && last ? { next: `${last.account_id}:${last.sequence}` } : {}),
      };
    },
  };
}
