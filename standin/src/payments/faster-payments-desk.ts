import { randomUUID } from 'node:crypto';
import type { FasterPaymentInboundCredit, FasterPaymentResponse } from '@bank/shared-contracts';
import { recordAdvice } from '../advices/advice-log';
import { inTransaction, type Database } from '../store/database';

/** Inbound Faster Payments in stand-in: credit one of the synced accounts, or reject with a reason. */
export function createFasterPaymentsDesk(deps: { database: Database; now: () => Date }) {
  const { database, now } = deps;

  const earlier = async (fpsId: string) =>
    (await database.query<{ response: FasterPaymentResponse }>("select response from fps_messages where fps_id = $1 and direction = 'inbound'", [fpsId]))
      .rows[0]?.response;

  async function receive(credit: FasterPaymentInboundCredit): Promise<FasterPaymentResponse> {
    const seen = await earlier(credit.fpsId);
    if (seen) return seen;
    try {
      return await inTransaction(database, async (session) => {
        const at = now();
        const { rows } = await session.query<{ account_id: string; status: string }>(
          `select distinct on (account_id) account_id, status from synced_accounts
           where sort_code = $1 and account_number = $2 order by account_id, sequence desc`,
          [credit.creditor.sortCode, credit.creditor.accountNumber],
        );
        const account = rows[0];
        // Primary accepted this very payment (its answer to the scheme was lost, and the scheme
        // re-presents it here): the bank has credited it once already; so say, and credit nothing.
        const creditedByPrimary = await session.query("select 1 from synced_transactions where fps_id = $1 and kind = 'faster_payment_in' limit 1", [
          credit.fpsId,
        ]);
        let response: FasterPaymentResponse;
        if (creditedByPrimary.rowCount) response = { fpsId: credit.fpsId, status: 'accepted', decidedBy: 'primary', message: 'already credited by primary' };
        else if (!account)
          response = { fpsId: credit.fpsId, status: 'rejected', rejectReason: 'account_unknown', message: 'no such account', decidedBy: 'standin' };
        else if (account.status === 'closed')
          response = { fpsId: credit.fpsId, status: 'rejected', rejectReason: 'account_closed', message: 'account closed', decidedBy: 'standin' };
        else {
          const correlationId = randomUUID();
          await session.query(
            `insert into own_transactions (correlation_id, account_id, kind, status, amount_minor, description, counterparty, created_at)
             values ($1, $2, 'faster_payment_in', 'settled', $3, $4, $5, $6)`,
            [
              correlationId,
              account.account_id,
              credit.amountMinor,
              credit.reference ? `${credit.debtor.name}: ${credit.reference}` : credit.debtor.name,
              credit.debtor,
              at,
            ],
          );
          await recordAdvice(session, {
            type: 'transfer.received',
            accountId: account.account_id,
            correlationId,
            payload: { fpsId: credit.fpsId, amountMinor: credit.amountMinor, debtor: credit.debtor, reference: credit.reference },
            at,
          });
          response = { fpsId: credit.fpsId, status: 'accepted', decidedBy: 'standin' };
        }
        await session.query("insert into fps_messages (fps_id, direction, response) values ($1, 'inbound', $2)", [credit.fpsId, JSON.stringify(response)]);
        return response;
      });
    } catch (failure) {
      const winner = (failure as { code?: string }).code === '23505' ? await earlier(credit.fpsId) : undefined;
      if (winner) return winner;
      throw failure;
    }
  }

  return { receive };
}

export type FasterPaymentsDesk = ReturnType<typeof createFasterPaymentsDesk>;
