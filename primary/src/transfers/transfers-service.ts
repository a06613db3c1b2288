import { randomUUID } from 'node:crypto';
import type { BankAccountParty, FasterPaymentOutboundSend, FasterPaymentResponse } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { errors } from '../platform/errors';
import type { Account, AccountsService } from '../accounts/accounts-service';
import { OUR_SORT_CODE } from '../accounts/account-number';
import type { FeedService } from '../feed/feed-service';
import { fasterPaymentsAccount, type Ledger } from '../ledger/ledger';
import type { FasterPaymentsScheme } from './faster-payments-scheme';

export interface TransferRequest {
  readonly amountMinor: number;
  readonly creditor: BankAccountParty;
  readonly reference: string;
}

export type TransferOutcome =
  | { readonly kind: 'internal'; readonly status: 'completed'; readonly transactionId: string; readonly correlationId: string }
  | {
      readonly kind: 'faster_payment';
      readonly fpsId: string;
      readonly status: 'submitted' | 'accepted' | 'rejected';
      readonly rejectReason?: string;
      readonly transactionId: string;
      readonly correlationId: string;
    };

export interface OutboundRow {
  fps_id: string;
  account_id: string;
  amount_minor: string;
  creditor: BankAccountParty;
  reference: string;
  transaction_id: string;
  correlation_id: string;
  status: 'submitted' | 'accepted' | 'rejected';
  reject_reason: string | null;
  created_at: Date;
}

export type TransfersService = ReturnType<typeof createTransfersService>;

/**
 * Money leaving an account: to another account of this bank (one journal, both sides at once)
 * or out through Faster Payments (debit first, then the scheme; a rejection reverses the debit).
 */
export function createTransfersService(deps: {
  db: Db;
  clock: Clock;
  ledger: Ledger;
  accounts: AccountsService;
  feed: FeedService;
  scheme: FasterPaymentsScheme;
}) {
  const { db, clock, ledger, accounts, feed, scheme } = deps;

  async function debitSide(
    tx: Tx,
    from: Account,
    request: TransferRequest,
    kind: 'internal_transfer' | 'faster_payment_out',
    correlationId: string,
    creditLedgerAccount: string,
  ) {
    const posted = await ledger.post(tx, {
      kind: kind === 'internal_transfer' ? 'transfer.internal' : 'faster_payment.outbound',
      description: request.reference || request.creditor.name,
      correlationId,
      overdraft: 'enforce',
      postings: [
        { ledgerAccountId: from.id, amountMinor: -request.amountMinor },
        { ledgerAccountId: creditLedgerAccount, amountMinor: request.amountMinor },
      ],
    });
    if (!posted.ok) throw errors.insufficientFunds();
    return feed.record(tx, {
      accountId: from.id,
      kind,
      status: kind === 'internal_transfer' ? 'settled' : 'pending',
      amountMinor: -request.amountMinor,
      currency: 'GBP',
      description: request.reference ? `${request.creditor.name}: ${request.reference}` : request.creditor.name,
      counterparty: request.creditor,
      correlationId,
    });
  }

  /** Books the transfer in the caller's transaction. Faster Payments are submitted afterwards by `submit`. */
  async function book(tx: Tx, from: Account, request: TransferRequest): Promise<TransferOutcome> {
    const correlationId = randomUUID();
    const onUs =
      request.creditor.sortCode === OUR_SORT_CODE ? await accounts.findByNumber(tx, request.creditor.sortCode, request.creditor.accountNumber) : undefined;
    if (request.creditor.sortCode === OUR_SORT_CODE && !onUs) throw errors.notFound('payee account');
    if (onUs) {
      if (onUs.id === from.id) throw errors.invalidRequest('transfer request', [{ path: 'creditor', message: 'cannot pay an account into itself' }]);
      const debit = await debitSide(tx, from, request, 'internal_transfer', correlationId, onUs.id);
      await feed.record(tx, {
        accountId: onUs.id,
        kind: 'internal_transfer',
        status: 'settled',
        amountMinor: request.amountMinor,
        currency: 'GBP',
        description: request.reference ? `${from.holderName}: ${request.reference}` : from.holderName,
        counterparty: { sortCode: from.sortCode, accountNumber: from.accountNumber, name: from.holderName },
        correlationId,
      });
      return { kind: 'internal', status: 'completed', transactionId: debit.id, correlationId };
    }
    const fpsId = `FPS-${randomUUID()}`;
    const debit = await debitSide(tx, from, request, 'faster_payment_out', correlationId, fasterPaymentsAccount(from.id));
    await tx.query(
      `insert into outbound_payments (fps_id, account_id, amount_minor, creditor, reference, transaction_id, correlation_id, status, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8)`,
      [fpsId, from.id, request.amountMinor, request.creditor, request.reference, debit.id, correlationId, clock.now()],
    );
    return { kind: 'faster_payment', fpsId, status: 'submitted', transactionId: debit.id, correlationId };
  }

  /** Records the scheme's answer exactly once; a rejection gives the money back. */
  async function settle(fpsId: string, answer: FasterPaymentResponse): Promise<OutboundRow> {
    return withTransaction(db, async (tx) => {
      const { rows } = await tx.query<OutboundRow>('select * from outbound_payments where fps_id = $1 for update', [fpsId]);
      const payment = rows[0]!;
      if (payment.status !== 'submitted') return payment;
      if (answer.status === 'accepted') {
        await feed.update(tx, payment.transaction_id, { status: 'settled' });
      } else {
        const amount = Number(payment.amount_minor);
        await ledger.post(tx, {
          kind: 'faster_payment.returned',
          description: `returned: ${answer.rejectReason}`,
          correlationId: payment.correlation_id,
          overdraft: 'enforce',
          postings: [
            { ledgerAccountId: payment.account_id, amountMinor: amount },
            { ledgerAccountId: fasterPaymentsAccount(payment.account_id), amountMinor: -amount },
          ],
        });
        await feed.update(tx, payment.transaction_id, { status: 'reversed' });
      }
      const updated = await tx.query<OutboundRow>('update outbound_payments set status = $2, reject_reason = $3 where fps_id = $1 returning *', [
        fpsId,
        answer.status,
        answer.rejectReason ?? null,
      ]);
      return updated.rows[0]!;
    });
  }

  /** Asks the scheme; an unknown outcome leaves the payment submitted, for `retryUnanswered`. */
  async function submit(fpsId: string): Promise<OutboundRow> {
    const { rows } = await db.query<OutboundRow>('update outbound_payments set attempts = attempts + 1 where fps_id = $1 returning *', [fpsId]);
    const payment = rows[0]!;
    if (payment.status !== 'submitted') return payment;
    const from = (await accounts.find(payment.account_id))!;
    const message: FasterPaymentOutboundSend = {
      fpsId,
      amountMinor: Number(payment.amount_minor),
      currency: 'GBP',
      debtor: { sortCode: from.sortCode, accountNumber: from.accountNumber, name: from.holderName },
      creditor: payment.creditor,
      reference: payment.reference,
      sentAt: payment.created_at.toISOString(),
    };
    let answer: FasterPaymentResponse;
    try {
      answer = await scheme.submit(message);
    } catch {
      return payment;
    }
    return settle(fpsId, answer);
  }

  return {
    book,
    submit,
    /** Payments whose scheme answer never came (timeouts, scheme down): ask again with the same FPS id. */
    async retryUnanswered(limit = 100): Promise<number> {
      const { rows } = await db.query<{ fps_id: string }>("select fps_id from outbound_payments where status = 'submitted' order by created_at limit $1", [
        limit,
      ]);
      for (const row of rows) await submit(row.fps_id);
      return rows.length;
    },
    async findOutbound(fpsId: string) {
      return (await db.query<OutboundRow>('select * from outbound_payments where fps_id = $1', [fpsId])).rows[0];
    },
  };
}
