import type { FasterPaymentInboundCredit, FasterPaymentResponse } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { isUniqueViolation, withTransaction, type Db } from '../platform/db';
import { PrimaryError } from '../platform/errors';
import type { AccountsService } from '../accounts/accounts-service';
import type { FeedService } from '../feed/feed-service';
import { INTERNAL_ACCOUNTS, type Ledger } from '../ledger/ledger';

export type InboundFasterPayments = ReturnType<typeof createInboundFasterPayments>;

/** Credits from the Faster Payments scheme: accepted onto an open account of ours, or rejected with a reason. */
export function createInboundFasterPayments(deps: { db: Db; clock: Clock; ledger: Ledger; accounts: AccountsService; feed: FeedService }) {
  const { db, clock, ledger, accounts, feed } = deps;

  const stored = async (fpsId: string) =>
    (await db.query<{ response: FasterPaymentResponse }>("select response from faster_payments where fps_id = $1 and direction = 'inbound'", [fpsId])).rows[0]?.response;

  async function credit(instruction: FasterPaymentInboundCredit): Promise<FasterPaymentResponse> {
    const previous = await stored(instruction.fpsId);
    if (previous) return previous;
    try {
      return await withTransaction(db, async (tx) => {
        const reject = (rejectReason: FasterPaymentResponse['rejectReason'] & string, message: string): FasterPaymentResponse => ({ fpsId: instruction.fpsId, status: 'rejected', rejectReason, message, decidedBy: 'primary' });
        let response: FasterPaymentResponse;
        let account;
        try {
          account = await accounts.findByNumber(tx, instruction.creditor.sortCode, instruction.creditor.accountNumber);
        } catch (error) {
          if (!(error instanceof PrimaryError)) throw error;
          account = undefined;
        }
        if (!account) response = reject('account_unknown', 'no account with this sort code and account number');
        else if (account.status === 'closed') response = reject('account_closed', 'the account is closed');
        else {
          await ledger.post(tx, {
            kind: 'faster_payment.inbound',
            description: instruction.reference || instruction.debtor.name,
            overdraft: 'enforce',
            postings: [
              { ledgerAccountId: account.id, amountMinor: instruction.amountMinor },
              { ledgerAccountId: INTERNAL_ACCOUNTS.fasterPayments, amountMinor: -instruction.amountMinor },
            ],
          });
          await feed.record(tx, {
            accountId: account.id,
            kind: 'faster_payment_in',
            status: 'settled',
            amountMinor: instruction.amountMinor,
            currency: 'GBP',
            description: instruction.reference ? `${instruction.debtor.name}: ${instruction.reference}` : instruction.debtor.name,
            counterparty: instruction.debtor,
          });
          response = { fpsId: instruction.fpsId, status: 'accepted', decidedBy: 'primary' };
        }
        await tx.query("insert into faster_payments (fps_id, direction, account_id, amount_minor, response, created_at) values ($1, 'inbound', $2, $3, $4, $5)", [
          instruction.fpsId,
          account?.id ?? null,
          instruction.amountMinor,
          response,
          clock.now(),
        ]);
        return response;
      });
    } catch (error) {
      const winner = isUniqueViolation(error) ? await stored(instruction.fpsId) : undefined;
      if (winner) return winner;
      throw error;
    }
  }

  return { credit };
}
