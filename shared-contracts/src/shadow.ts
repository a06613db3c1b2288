import { z } from 'zod';
import { AccountId, storableText, Timestamp } from './primitives';
import { CardAuthorisationRequest, CardAuthorisationResponse, ResponseCode } from './card-scheme';

// Shadow decisioning: primary copies a sample of the card authorisations it decided to stand-in,
// after answering the network, and stand-in decides each with the logic it would use for real but
// without any effect. Both decisions are recorded side by side; the report says how often they
// agree and why they do not.

export const SHADOW_ROUTES = {
  /** Primary → stand-in, internal token: one message to decide in the shadow. Answers a ShadowVerdict. */
  cardAuthorisations: '/internal/shadow/card-authorisations',
  /** Operator token: the agreement report (ShadowReport); `?since=<ISO>` narrows it. */
  report: '/shadow/report',
} as const;

export const ShadowCardAuthorisation = z.strictObject({
  /** The message exactly as primary decided it (the PAN crosses as it did on the scheme API). */
  request: CardAuthorisationRequest,
  /** What primary answered the network. */
  primaryAnswer: CardAuthorisationResponse,
  primaryAnsweredAt: Timestamp,
  /** The account primary found for the card, if it found the card. */
  accountId: AccountId.optional(),
  /**
   * The account's last event sequence in primary when it answered: stand-in, comparing it with
   * what it has synced, can tell a disagreement caused by sync lag from one that is not.
   */
  accountSequence: z.int().min(0).optional(),
});
export type ShadowCardAuthorisation = z.infer<typeof ShadowCardAuthorisation>;

/** Why the two platforms decided differently. `unexplained` is a defect to investigate. */
export const DisagreementReason = z.enum([
  /** Stand-in's synced view of the account was not primary's at its decision: behind it (balance, card status, a new card), or already past it (the payment's own hold synced before its shadow copy). */
  'sync_lag',
  /** Stand-in's deliberate risk limits (per payment, per account per day) declined what primary approved. */
  'standin_risk_limit',
  /** A kind of message stand-in deliberately does not decide (refunds): it declines them all. */
  'standin_does_not_handle',
  /** Stand-in's balance includes its own effects primary has not applied yet (advices in flight). */
  'advices_in_flight',
  /** None of the above: the two decision logics disagree on the same facts. */
  'unexplained',
]);
export type DisagreementReason = z.infer<typeof DisagreementReason>;

/** Stand-in's answer to a shadow message: its decision and, if it differs from primary's, why. */
export const ShadowVerdict = z.strictObject({
  responseCode: ResponseCode,
  reason: storableText(z.string().max(200)),
  agrees: z.boolean(),
  disagreement: DisagreementReason.optional(),
});
export type ShadowVerdict = z.infer<typeof ShadowVerdict>;

/** Message types of the report: the kind of card message, by MTI and processing code. */
export const ShadowMessageType = z.enum(['purchase', 'purchase_single_message', 'cash', 'refund']);
export type ShadowMessageType = z.infer<typeof ShadowMessageType>;

export const ShadowReport = z.strictObject({
  since: Timestamp.optional(),
  generatedAt: Timestamp,
  decisions: z.int().min(0),
  agreed: z.int().min(0),
  /** agreed / decisions, 0 to 1; absent with no decisions. */
  agreementRate: z.number().min(0).max(1).optional(),
  byMessageType: z.array(
    z.strictObject({ messageType: ShadowMessageType, decisions: z.int().min(0), agreed: z.int().min(0), agreementRate: z.number().min(0).max(1) }),
  ),
  disagreements: z.array(
    z.strictObject({
      reason: DisagreementReason,
      /** False only for `unexplained`: a defect. */
      explained: z.boolean(),
      count: z.int().min(1),
      /** A few examples: message key, both response codes, stand-in's reason, the sync lag then. No PAN. */
      examples: z.array(
        z.strictObject({
          stan: z.string(),
          rrn: z.string(),
          terminalId: z.string(),
          primaryResponseCode: ResponseCode,
          standinResponseCode: ResponseCode,
          standinReason: z.string(),
          syncLagMs: z.int().min(0).optional(),
        }),
      ),
    }),
  ),
  /** Disagreements no lag or deliberate limit explains. */
  defects: z.int().min(0),
  /**
   * The cost of each of stand-in's rules (the configuration's standinRules), visible before an
   * incident: how many of primary's approvals, and how much money, stand-in would have declined
   * by that rule. Most costly first. Absent from reports of a stand-in before the rules existed.
   */
  costByRule: z
    .array(z.strictObject({ rule: z.string(), label: z.string(), primaryApprovalsDeclined: z.int().min(1), amountMinor: z.int().min(0) }))
    .default([]),
});
export type ShadowReport = z.infer<typeof ShadowReport>;
