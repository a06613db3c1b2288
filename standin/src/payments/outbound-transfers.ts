import { randomUUID } from 'node:crypto';
import type { BankAccountParty } from '@bank/shared-contracts';
import { recordAdvice } from '../advices/advice-log';
import { inTransaction, type Database } from '../store/database';
import { standinBalance } from '../views/balance-view';

export type TransferOutcome = { readonly status: 'sent'; readonly fpsId: string; readonly correlationId: string } | { readonly status: 'refused'; readonly why: string };

/**
 * A Faster Payment sent from stand-in's app: checked against the balance as stand-in sees it,
 * recorded as an own debit and advised to primary, once per idempotency key.
 */
export async function sendTransfer(
  deps: { database: Database; now: () => Date },
  order: { accountId: string; idempotencyKey: string; amountMinor: number; creditor: BankAccountParty; reference: string },
): Promise<TransferOutcome> {
  // The idempotency key doubles as the FPS id's source: a retried order cannot make a second payment.
  const fpsId = `SI-${order.idempotencyKey}`;
  return inTransaction(deps.database, async (session) => {
    const done = await session.query<{ response: TransferOutcome }>("select response from fps_messages where fps_id = $1 and direction = 'outbound'", [fpsId]);
    if (done.rows[0]) return done.rows[0].response;
    await session.query('select pg_advisory_xact_lock(hashtextextended($1, 7))', [order.accountId]);
    const balance = await standinBalance(session, order.accountId);
    let outcome: TransferOutcome;
    if (!balance || balance.spendableMinor < order.amountMinor) {
      outcome = { status: 'refused', why: 'not enough money as stand-in sees it' };
    } else {
      const correlationId = randomUUID();
      const at = deps.now();
      await session.query(
        `insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, counterparty, created_at)
         values ($1, $2, 'faster_payment_out', 'pending', $3, $4, $5, $6)`,
        [correlationId, order.accountId, -order.amountMinor, order.reference ? `${order.creditor.name}: ${order.reference}` : order.creditor.name, order.creditor, at],
      );
      await recordAdvice(session, { type: 'transfer.sent', accountId: order.accountId, correlationId, payload: { fpsId, amountMinor: order.amountMinor, creditor: order.creditor, reference: order.reference }, at });
      outcome = { status: 'sent', fpsId, correlationId };
    }
    await session.query("insert into fps_messages (fps_id, direction, response) values ($1, 'outbound', $2)", [fpsId, JSON.stringify(outcome)]);
    return outcome;
  });
}
