import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { FasterPaymentOutboundSend, safeParseContract, type BankAccountParty, type FasterPaymentResponse } from '@bank/shared-contracts';
import { recordAdvice } from '../advices/advice-log';
import { inTransaction, type Database, type Session } from '../store/database';
import { standinBalance } from '../views/balance-view';
import type { FasterPaymentsScheme } from './faster-payments-scheme';

// A Faster Payment sent from stand-in's app, in three steps, so money is neither lost nor sent twice:
//  1. reserve, in one transaction under the account's lock: the own debit is recorded pending (it
//     counts against the balance from then on) and the payment `submitting`;
//  2. submit to the scheme, outside any transaction, since it may take seconds;
//  3. settle, in one transaction: accepted → the transfer.sent advice (primary applies it as a real
//     debit, so it is written for accepted payments only); rejected → the own debit stops counting.
// Without an answer (timeout, scheme down, breaker open) the payment stays submitting and
// `retryUnanswered` asks again with the same fpsId, which the scheme de-duplicates. A crash between
// steps 1 and 3 leaves exactly that state, so the same retries finish it.

export type TransferOutcome =
  | { readonly status: 'sent'; readonly fpsId: string; readonly correlationId: string }
  | { readonly status: 'submitted'; readonly fpsId: string }
  | { readonly status: 'refused'; readonly why: string; readonly fpsId?: string; readonly rejectReason?: string };

export interface TransferOrder {
  readonly accountId: string;
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly creditor: BankAccountParty;
  readonly reference: string;
}

export class IdempotencyKeyReused extends Error {
  readonly code = 'STANDIN_IDEMPOTENCY_KEY_REUSED';
}

export interface OutboundTransfersDependencies {
  readonly database: Database;
  readonly scheme: FasterPaymentsScheme;
  readonly logger: Logger;
  readonly now: () => Date;
  /**
   * A submitting payment is asked about again once its last attempt is this old. Keep it above the
   * scheme timeout, so the retries leave alone a payment whose first submission is still in flight.
   */
  readonly retryAfterMs: number;
}

interface OutboundPayment {
  fps_id: string;
  account_id: string;
  amount_minor: string;
  creditor: BankAccountParty;
  reference: string;
  /** The stand-in account as it stood when the payment was reserved; null when refused. */
  debtor: BankAccountParty | null;
  correlation_id: string | null;
  status: 'refused' | 'submitting' | 'sent' | 'rejected';
  why: string | null;
  reject_reason: string | null;
  created_at: Date;
}

type Reservation = { readonly payment: OutboundPayment; readonly fresh: boolean } | { readonly legacy: TransferOutcome };

const NOT_ENOUGH = 'not enough money as stand-in sees it';

function outcomeOf(payment: OutboundPayment): TransferOutcome {
  switch (payment.status) {
    case 'sent':
      return { status: 'sent', fpsId: payment.fps_id, correlationId: payment.correlation_id! };
    case 'submitting':
      return { status: 'submitted', fpsId: payment.fps_id };
    case 'rejected':
      return { status: 'refused', why: payment.why!, fpsId: payment.fps_id, rejectReason: payment.reject_reason! };
    case 'refused':
      return { status: 'refused', why: payment.why! };
  }
}

/** The message the scheme gets, identical on every attempt: only the fpsId makes it one payment. */
function messageOf(payment: Pick<OutboundPayment, 'fps_id' | 'amount_minor' | 'debtor' | 'creditor' | 'reference' | 'created_at'>): FasterPaymentOutboundSend {
  return {
    fpsId: payment.fps_id,
    amountMinor: Number(payment.amount_minor),
    currency: 'GBP',
    debtor: payment.debtor!,
    creditor: payment.creditor,
    reference: payment.reference,
    sentAt: payment.created_at.toISOString(),
  };
}

function sameOrder(payment: OutboundPayment, order: TransferOrder): OutboundPayment {
  const same =
    payment.account_id === order.accountId &&
    Number(payment.amount_minor) === order.amountMinor &&
    payment.reference === order.reference &&
    payment.creditor.sortCode === order.creditor.sortCode &&
    payment.creditor.accountNumber === order.creditor.accountNumber &&
    payment.creditor.name === order.creditor.name;
  if (!same)
    throw new IdempotencyKeyReused(
      'this Idempotency-Key was already used for a different transfer: send a new UUID for a new transfer, and reuse a key only to retry the same one',
    );
  return payment;
}

const findPayment = async (db: Database | Session, fpsId: string, lock = '') =>
  (await db.query<OutboundPayment>(`select * from outbound_payments where fps_id = $1 ${lock}`, [fpsId])).rows[0];

async function debtorOf(session: Session, accountId: string): Promise<BankAccountParty | undefined> {
  const { rows } = await session.query<{ sort_code: string; account_number: string; holder_name: string }>(
    'select sort_code, account_number, holder_name from synced_accounts where account_id = $1 order by sequence desc limit 1',
    [accountId],
  );
  const row = rows[0];
  return row && { sortCode: row.sort_code, accountNumber: row.account_number, name: row.holder_name };
}

export function createOutboundTransfers(deps: OutboundTransfersDependencies) {
  const { database, scheme, logger, now } = deps;

  async function reserve(fpsId: string, order: TransferOrder): Promise<Reservation> {
    try {
      return await inTransaction(database, async (session) => {
        // The card desk takes the same lock: each decision on an account sees every earlier reservation.
        await session.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [order.accountId]);
        const earlier = await findPayment(session, fpsId);
        if (earlier) return { payment: sameOrder(earlier, order), fresh: false };
        // Answers given before outbound_payments existed live in fps_messages; their retries must still get them.
        const legacy = await session.query<{ response: TransferOutcome }>("select response from fps_messages where fps_id = $1 and direction = 'outbound'", [
          fpsId,
        ]);
        if (legacy.rows[0]) return { legacy: legacy.rows[0].response };

        const at = now();
        const record = async (status: 'refused' | 'submitting', details: { why?: string; debtor?: BankAccountParty; correlationId?: string }) => {
          const { rows } = await session.query<OutboundPayment>(
            `insert into outbound_payments (fps_id, account_id, amount_minor, creditor, reference, debtor, correlation_id, status, why, attempts, last_attempt_at, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning *`,
            [
              fpsId,
              order.accountId,
              order.amountMinor,
              order.creditor,
              order.reference,
              details.debtor ?? null,
              details.correlationId ?? null,
              status,
              details.why ?? null,
              status === 'submitting' ? 1 : 0,
              status === 'submitting' ? at : null,
              at,
            ],
          );
          return { payment: rows[0]!, fresh: true };
        };

        const balance = await standinBalance(session, order.accountId);
        if (!balance || balance.spendableMinor < order.amountMinor) return record('refused', { why: NOT_ENOUGH });
        const debtor = await debtorOf(session, order.accountId);
        if (!debtor) return record('refused', { why: 'stand-in holds no sort code and account number for this account yet' });
        // Checked before any money is reserved: a message the scheme would refuse to read would otherwise stay unanswered for ever.
        const message = safeParseContract(
          'outbound Faster Payment',
          FasterPaymentOutboundSend,
          messageOf({ fps_id: fpsId, amount_minor: String(order.amountMinor), debtor, creditor: order.creditor, reference: order.reference, created_at: at }),
        );
        if (!message.ok) return record('refused', { why: `stand-in cannot make a valid Faster Payment from this account: ${message.error.message}` });

        const correlationId = randomUUID();
        await session.query(
          `insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, counterparty, created_at)
           values ($1, $2, 'faster_payment_out', 'pending', $3, $4, $5, $6)`,
          [
            correlationId,
            order.accountId,
            -order.amountMinor,
            order.reference ? `${order.creditor.name}: ${order.reference}` : order.creditor.name,
            order.creditor,
            at,
          ],
        );
        return record('submitting', { debtor, correlationId });
      });
    } catch (failure) {
      // The same key raced in for another account (a different lock): the loser reads the winner.
      if ((failure as { code?: string }).code !== '23505') throw failure;
      const winner = await findPayment(database, fpsId);
      if (!winner) throw failure;
      return { payment: sameOrder(winner, order), fresh: false };
    }
  }

  /** Records the scheme's answer once; whoever settles second finds it done (the scheme gives one answer per fpsId). */
  async function settle(fpsId: string, answer: FasterPaymentResponse): Promise<OutboundPayment> {
    const settled = await inTransaction(database, async (session) => {
      const payment = (await findPayment(session, fpsId, 'for update'))!;
      if (payment.status !== 'submitting') return { payment, now: false };
      const at = now();
      if (answer.status === 'accepted') {
        await recordAdvice(session, {
          type: 'transfer.sent',
          accountId: payment.account_id,
          correlationId: payment.correlation_id!,
          payload: { fpsId, amountMinor: Number(payment.amount_minor), creditor: payment.creditor, reference: payment.reference },
          at,
        });
        await session.query("update own_transactions set status = 'settled' where correlation_id = $1", [payment.correlation_id]);
        const { rows } = await session.query<OutboundPayment>("update outbound_payments set status = 'sent', decided_at = $2 where fps_id = $1 returning *", [
          fpsId,
          at,
        ]);
        return { payment: rows[0]!, now: true };
      }
      const why = `the Faster Payments scheme rejected the payment: ${answer.rejectReason}${answer.message ? ` (${answer.message})` : ''}`;
      await session.query("update own_transactions set status = 'rejected' where correlation_id = $1", [payment.correlation_id]);
      const { rows } = await session.query<OutboundPayment>(
        "update outbound_payments set status = 'rejected', reject_reason = $2, why = $3, decided_at = $4 where fps_id = $1 returning *",
        [fpsId, answer.rejectReason, why, at],
      );
      return { payment: rows[0]!, now: true };
    });
    if (settled.now)
      logger.info(
        { fpsId, accountId: settled.payment.account_id, status: settled.payment.status, rejectReason: settled.payment.reject_reason ?? undefined },
        'outbound Faster Payment settled',
      );
    return settled.payment;
  }

  async function submit(payment: OutboundPayment): Promise<{ payment: OutboundPayment; unknown?: string }> {
    let answer: FasterPaymentResponse;
    try {
      answer = await scheme.submit(messageOf(payment));
    } catch (failure) {
      return { payment, unknown: (failure as Error).message };
    }
    return { payment: await settle(payment.fps_id, answer) };
  }

  return {
    /** Reserve, submit, settle; once per idempotency key. A retried key reports where its payment stands and submits nothing. */
    async send(order: TransferOrder): Promise<TransferOutcome> {
      // The key is the fpsId's source: a retried order names the same payment to the scheme.
      const fpsId = `SI-${order.idempotencyKey}`;
      const reserved = await reserve(fpsId, order);
      if ('legacy' in reserved) return reserved.legacy;
      if (!reserved.fresh || reserved.payment.status !== 'submitting') return outcomeOf(reserved.payment);
      const result = await submit(reserved.payment);
      if (result.unknown)
        logger.warn(
          { fpsId, reason: result.unknown },
          'outbound Faster Payment outcome unknown: it stays submitted and is asked about again with the same fpsId',
        );
      return outcomeOf(result.payment);
    },

    /** Asks the scheme again about submitting payments whose last attempt is at least `retryAfterMs` old. */
    async retryUnanswered(limit = 100): Promise<{ tried: number; settled: number; unknown: { fpsId: string; reason: string }[] }> {
      const at = now();
      const cutoff = new Date(at.getTime() - deps.retryAfterMs);
      // Claimed in one statement, so two stand-in processes never ask about the same payment at once.
      const { rows } = await database.query<OutboundPayment>(
        `update outbound_payments set attempts = attempts + 1, last_attempt_at = $2
         where fps_id in (select fps_id from outbound_payments where status = 'submitting' and last_attempt_at <= $1 order by created_at limit $3 for update skip locked)
           and status = 'submitting' and last_attempt_at <= $1
         returning *`,
        [cutoff, at, limit],
      );
      const unknown: { fpsId: string; reason: string }[] = [];
      for (const payment of rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime())) {
        const result = await submit(payment);
        if (result.unknown) unknown.push({ fpsId: payment.fps_id, reason: result.unknown });
      }
      return { tried: rows.length, settled: rows.length - unknown.length, unknown };
    },
  };
}

export type OutboundTransfers = ReturnType<typeof createOutboundTransfers>;
