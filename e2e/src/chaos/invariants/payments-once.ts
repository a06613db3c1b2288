import { cardProblems, checkCardApprovals } from './card-approvals-once';
import { checkFasterPayments, fasterPaymentProblems } from './faster-payments-once';
import { listed, type InvariantContext, type InvariantResult } from './invariant-result';

// Invariant 2: every authorisation approved to the payment network, by either platform, appears
// exactly once in the primary ledger after recovery; no payment is double-posted (cards and
// Faster Payments, in and out).

const shown = <T extends Record<string, unknown>>(findings: T) =>
  Object.fromEntries(Object.entries(findings).map(([name, value]) => [name, Array.isArray(value) ? listed(value) : value]));

export async function checkPaymentsOnce(context: InvariantContext): Promise<InvariantResult> {
  const cards = await checkCardApprovals(context);
  const fasterPayments = await checkFasterPayments(context);
  const problems = cardProblems(cards) + fasterPaymentProblems(fasterPayments);
  return {
    id: 2,
    name: 'every approval is in the primary ledger exactly once; nothing double-posted',
    passed: problems === 0,
    summary:
      problems === 0
        ? `${cards.heardApproved} card approvals the network heard: all in primary once, with their money once (${cards.approvedWithUnknownOutcome.length} more approved in primary with an unknown outcome at the network, ${cards.declinedToNetworkThenReversed.length} approved late after a 91 and reversed in full); ` +
          `${fasterPayments.creditsHeardAccepted} credits and ${fasterPayments.transfersHeardSent} transfers out once each; ${fasterPayments.schemeReceived} payments reached the scheme, each with one debit` +
          (cards.reversalsNotReflectedInPrimary.length > 0
            ? `; OBSERVED: ${cards.reversalsNotReflectedInPrimary.length} reversals accepted at the network but not reflected in primary`
            : '')
        : `${problems} problems: missing ${cards.missingInPrimary.length}, decided by the other platform ${cards.decidedByTheOtherPlatform.length}, declined but approved ${cards.declinedToNetworkButApprovedInPrimary.length}, ` +
          `money missing ${cards.ledgerEffectMissing.length}, doubled ${cards.ledgerEffectDoubled.length}, cleared but still held ${cards.clearedButStillHeld.length}, hold amount wrong ${cards.holdAmountDiffers.length}, clearing amount wrong ${cards.clearingAmountDiffers.length}, unrequested ${cards.approvedWithoutAnyRequest.length}, ` +
          `credits missing ${fasterPayments.creditNotInPrimary.length} / twice ${fasterPayments.creditedTwice.length}, transfers not debited ${fasterPayments.transferNotDebited.length} / twice ${fasterPayments.transferDebitedTwice.length}, left without one debit ${fasterPayments.leftWithoutDebit.length}`,
    evidence: { cards: shown({ ...cards }), fasterPayments: shown({ ...fasterPayments }) },
  };
}
