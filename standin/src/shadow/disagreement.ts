import type { CardAuthorisationRequest, DisagreementReason, ShadowMessageType } from '@bank/shared-contracts';

// Why stand-in and primary decided one card message differently. Pure, so every rule can be
// tested on its own; the facts are gathered by the shadow desk from the same snapshot the
// verdict was made on.

export interface DisagreementFacts {
  readonly primaryApproved: boolean;
  readonly standinApproved: boolean;
  /** Stand-in decides this kind of message at all (it declines refunds by design). */
  readonly standinHandlesKind: boolean;
  /** Primary found an account for the card. */
  readonly primaryKnewAccount: boolean;
  /** Stand-in found the card among its synced cards. */
  readonly standinKnewCard: boolean;
  /** Primary's last event sequence for the account when it answered, if it said. */
  readonly primaryAccountSequence?: number;
  /** The highest sequence stand-in has synced for the account; undefined when it has none. */
  readonly standinAccountSequence?: number;
  /**
   * Stand-in's own rules with its per-payment and per-day limits lifted, on the balance as primary
   * saw it when it decided (stand-in's view can be past that: the payment's own hold synced first).
   */
  readonly standinApprovesWithoutRiskLimits: boolean;
  /**
   * Stand-in's own rules on the balance as primary saw it, when stand-in's synced view is already
   * past primary's decision (undefined when it is not, or stand-in has no balance that old).
   */
  readonly standinApprovesAtPrimarysSequence?: boolean;
  /** Stand-in's own rules on the same facts, with its effects primary has not reflected yet taken out of the balance. */
  readonly standinApprovesWithoutOwnEffects: boolean;
}

/**
 * Undefined when both platforms reached the same outcome (approve, or decline for whatever
 * code). Otherwise the first explanation that holds, most specific first: a deliberate limit
 * explains a decline whatever the sync state, because the limits never depend on synced data.
 */
export function classifyDisagreement(facts: DisagreementFacts): DisagreementReason | undefined {
  if (facts.primaryApproved === facts.standinApproved) return undefined;
  if (!facts.standinHandlesKind) return 'standin_does_not_handle';
  // Ahead rather than behind, first: when on primary's own balance stand-in would agree (limits
  // and all), the view is the whole difference. Primary's fast card path got the payment's own hold
  // (or later events) to stand-in before the shadow copy.
  if (facts.standinApprovesAtPrimarysSequence === facts.primaryApproved) return 'sync_lag';
  if (facts.primaryApproved && facts.standinApprovesWithoutRiskLimits) return 'standin_risk_limit';
  if (facts.primaryKnewAccount && !facts.standinKnewCard) return 'sync_lag';
  if (facts.primaryAccountSequence !== undefined && (facts.standinAccountSequence ?? 0) < facts.primaryAccountSequence) return 'sync_lag';
  // Without its own unreflected effects stand-in would have decided as primary did: the advices
  // for them are still on their way to primary, which will agree once it has applied them.
  if (facts.standinApprovesWithoutOwnEffects === facts.primaryApproved) return 'advices_in_flight';
  return 'unexplained';
}

export class UnknownShadowMessageType extends Error {
  readonly code = 'STANDIN_SHADOW_MESSAGE_TYPE_UNKNOWN';
  constructor(readonly processingCode: string) {
    super(`processing code ${processingCode} is not a shadowed card message type: send purchases (00), cash (01) or refunds (20) only`);
  }
}

/** The report's message type, by MTI and the transaction type in the processing code. */
export function shadowMessageType(message: Pick<CardAuthorisationRequest, 'mti' | 'processingCode'>): ShadowMessageType {
  const transactionType = message.processingCode.slice(0, 2);
  if (transactionType === '00') return message.mti === '0200' ? 'purchase_single_message' : 'purchase';
  if (transactionType === '01') return 'cash';
  if (transactionType === '20') return 'refund';
  throw new UnknownShadowMessageType(message.processingCode);
}
