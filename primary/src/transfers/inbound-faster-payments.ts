import type { FasterPaymentInboundCredit, FasterPaymentResponse } from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withTransaction, type Db, type Tx } from '../platform/db';
import { PrimaryError } from '../platform/errors';
import type { AccountsService } from '../accounts/accounts-service';
import type { FeedService } from '../feed/feed-service';
import { fasterPaymentsAccount, type Ledger } from '../ledger/ledger';

export type InboundFasterPayments = ReturnType<typeof createInboundFasterPayments>;

/** Credits from the Faster Payments scheme: accepted onto an open account of ours, or rejected with a reason. */
export function createInboundFasterPayments(deps: { db: Db; clock: Clock; ledger: Ledger; accounts: AccountsService; feed: FeedService }) {
  const { db, clock, ledger, accounts, feed } = deps;

  const stored = async (db: Db | Tx, fpsId: string) =>
    (await db.query<{ response: FasterPaymentResponse }>("select response from faster_payments where fps_id = $1 and direction = 'inbound'", [fpsId])).rows[0]
      ?.response;

  // A payment id is credited once by the bank, whichever platform saw it first. The row in
  // `faster_payments` is the claim: whoever inserts it credits, whoever finds it does not. Both
  // primary's own presentation and stand-in's advice claim the row before they touch the ledger,
  // so the two lock in the same order (claim, then ledger account) and cannot deadlock.
  const claim = async (tx: Tx, fpsId: string, accountId: string | null, amountMinor: number, response: FasterPaymentResponse) =>
    (
      await tx.query(
        "insert into faster_payments (fps_id, direction, account_id, amount_minor, response, created_at) values ($1, 'inbound', $2, $3, $4, $5) on conflict (fps_id, direction) do nothing",
        [fpsId, accountId, amountMinor, response, clock.now()],
      )
    ).rowCount === 1;

  async function credit(instruction: FasterPaymentInboundCredit): Promise<FasterPaymentResponse> {
    const previous = await stored(db, instruction.fpsId);
    if (previous) return previous;
    return withTransaction(db, async (tx) => {
      const reject = (rejectReason: FasterPaymentResponse['rejectReason'] & string, message: string): FasterPaymentResponse => ({
        fpsId: instruction.fpsId,
        status: 'rejected',
        rejectReason,
        message,
        decidedBy: 'primary',
      });
      let account;
      try {
        account = await accounts.findByNumber(tx, instruction.creditor.sortCode, instruction.creditor.accountNumber);
      } catch (error) {
        if (!(error instanceof PrimaryError)) throw error;
        account = undefined;
      }
      let response: FasterPaymentResponse;
      if (!account) response = reject('account_unknown', 'no account with this sort code and account number');
      else if (account.status === 'closed') response = reject('account_closed', 'the account is closed');
      else response = { fpsId: instruction.fpsId, status: 'accepted', decidedBy: 'primary' };
      // Waits for a concurrent claim (a re-presentation, stand-in's advice) to commit, then yields to it.
      if (!(await claim(tx, instruction.fpsId, account?.id ?? null, instruction.amountMinor, response))) return (await stored(tx, instruction.fpsId))!;
      if (account && response.status === 'accepted') {
        await ledger.post(tx, {
          kind: 'faster_payment.inbound',
          description: instruction.reference || instruction.debtor.name,
          overdraft: 'enforce',
          postings: [
            { ledgerAccountId: account.id, amountMinor: instruction.amountMinor },
            { ledgerAccountId: fasterPaymentsAccount(account.id), amountMinor: -instruction.amountMinor },
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
          fpsId: instruction.fpsId,
        });
      }
      return response;
    });
  }

  /**
   * Stand-in accepted this payment (its `transfer.received` advice): claims the payment id for the
   * advice, in the advice's transaction. `credit`: nobody here credited it, the caller posts it.
   * `already_credited`: primary accepted it itself (the scheme re-presented a payment whose answer
   * was lost), so the advice must move nothing. A payment primary had rejected is credited all the
   * same: stand-in's decision stands, and the scheme only re-presents what it got no answer for.
   */
  async function claimForStandin(tx: Tx, credit: { fpsId: string; accountId: string; amountMinor: number }): Promise<'credit' | 'already_credited'> {
    const accepted: FasterPaymentResponse = { fpsId: credit.fpsId, status: 'accepted', decidedBy: 'standin' };
    if (await claim(tx, credit.fpsId, credit.accountId, credit.amountMinor, accepted)) return 'credit';
    const { rows } = await tx.query<{ response: FasterPaymentResponse }>(
      "select response from faster_payments where fps_id = $1 and direction = 'inbound' for update",
      [credit.fpsId],
    );
    if (rows[0]!.response.status === 'accepted') return 'already_credited';
    await tx.query("update faster_payments set account_id = $2, response = $3 where fps_id = $1 and direction = 'inbound'", [
      credit.fpsId,
      credit.accountId,
      accepted,
    ]);
    return 'credit';
  }

  return { credit, claimForStandin };
}
