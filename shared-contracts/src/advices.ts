import { z } from 'zod';
import {
  AccountId,
  BankAccountParty,
  CardId,
  CorrelationId,
  CurrencyCode,
  NonNegativeAmountMinor,
  PositiveAmountMinor,
  Timestamp,
  Uuid,
  PaymentReference,
  storableText,
} from './primitives';
import { AuthorisationCode, Merchant, MessageKey, ProcessingCode, ResponseCode } from './card-scheme';
import { FpsId } from './faster-payments';

// Advices: every effect stand-in created (and every card decline it gave), relayed to primary over Pub/Sub (ordering key:
// account id) and applied there verbatim, exactly once. Stand-in's advice log is the truth.

export const ADVICE_SCHEMA_VERSION = 1;

export const AdviceHeader = z.object({
  adviceId: Uuid,
  type: z.string().min(1),
  accountId: AccountId,
  /** Per-account in stand-in, gap-free from 1: primary applies each account's advices in order. */
  sequence: z.int().positive({ error: 'expected a per-account advice sequence starting at 1' }),
  /** Shared by stand-in's transaction and the one primary creates from this advice. */
  correlationId: CorrelationId,
  createdAt: Timestamp,
  schemaVersion: z.literal(ADVICE_SCHEMA_VERSION, { error: `expected schemaVersion ${ADVICE_SCHEMA_VERSION}` }),
});
export type AdviceHeader = z.infer<typeof AdviceHeader>;

/** An authorisation stand-in decided, as the network sent it (the PAN is not carried: the card id is). */
const AdvisedCardAuthorisation = MessageKey.extend({
  mti: z.enum(['0100', '0200']),
  processingCode: ProcessingCode,
  amountMinor: PositiveAmountMinor,
  currency: CurrencyCode,
  merchant: Merchant,
  transmittedAt: Timestamp,
});

/** What stand-in approved, with the approval code it gave. */
export const ApprovedCardAuthorisation = AdvisedCardAuthorisation.extend({ authorisationCode: AuthorisationCode }).strict();

export const CardPaymentApprovedPayload = z.strictObject({ cardId: CardId, authorisation: ApprovedCardAuthorisation });
export const CashWithdrawnPayload = z.strictObject({ cardId: CardId, authorisation: ApprovedCardAuthorisation });

/**
 * What stand-in declined, with its answer: the response code, the
 * reason the network was given, and the stand-in rule that declined it when one did (absent for a
 * decline no rule can loosen: a frozen card, insufficient funds). It moves no money; primary
 * records the answer under the message key, so a repeat of the message reaching primary later
 * gets the same decline, and the issuer sees everything decided in its name.
 */
export const DeclinedCardAuthorisation = AdvisedCardAuthorisation.extend({
  responseCode: ResponseCode.exclude(['00'], { error: 'a declined authorisation has a response code other than 00' }),
  reason: storableText(z.string().min(1).max(200)),
  rule: z.string().min(1).max(100).optional(),
}).strict();

export type DeclinedCardAuthorisation = z.infer<typeof DeclinedCardAuthorisation>;

export const CardPaymentDeclinedPayload = z.strictObject({ cardId: CardId, authorisation: DeclinedCardAuthorisation });

export const CardPaymentReversedPayload = z.strictObject({
  cardId: CardId,
  original: MessageKey,
  /** The correlation id of the approval being reversed. */
  originalCorrelationId: CorrelationId,
  reversedAmountMinor: PositiveAmountMinor,
  remainingAmountMinor: NonNegativeAmountMinor,
});

/**
 * A reversal stand-in answered 00 although it did not approve the authorisation it reverses
 * (primary did, or nobody): the network has released the money, but only primary holds it, so
 * primary must apply the reversal to its own authorisation. Carried as the network sent it,
 * without the PAN; primary computes the release itself from what it still has outstanding.
 */
export const AcknowledgedCardReversal = MessageKey.extend({
  mti: z.enum(['0400', '0420']),
  original: MessageKey,
  amountMinor: PositiveAmountMinor,
  /** What the network still authorises after this reversal; absent for a full reversal. */
  replacementAmountMinor: NonNegativeAmountMinor.optional(),
  currency: CurrencyCode,
  transmittedAt: Timestamp,
})
  .strict()
  .refine((reversal) => reversal.replacementAmountMinor === undefined || reversal.replacementAmountMinor < reversal.amountMinor, {
    error: 'a partial reversal must leave less than the original amount authorised',
    path: ['replacementAmountMinor'],
  });

export const CardPaymentReversalAcknowledgedPayload = z.strictObject({ cardId: CardId, reversal: AcknowledgedCardReversal });

export const TransferSentPayload = z.strictObject({
  fpsId: FpsId,
  amountMinor: PositiveAmountMinor,
  creditor: BankAccountParty,
  reference: PaymentReference,
});

export const TransferReceivedPayload = z.strictObject({
  fpsId: FpsId,
  amountMinor: PositiveAmountMinor,
  debtor: BankAccountParty,
  reference: PaymentReference,
});

export const CardFreezePayload = z.strictObject({
  cardId: CardId,
  requestedBy: z.enum(['customer', 'operator']),
});

function advice<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return AdviceHeader.extend({ type: z.literal(type), payload }).strict();
}

export const CardPaymentApprovedAdvice = advice('card_payment.approved', CardPaymentApprovedPayload);
export const CardPaymentDeclinedAdvice = advice('card_payment.declined', CardPaymentDeclinedPayload);
export const CardPaymentReversedAdvice = advice('card_payment.reversed', CardPaymentReversedPayload);
export const CardPaymentReversalAcknowledgedAdvice = advice('card_payment.reversal_acknowledged', CardPaymentReversalAcknowledgedPayload);
export const CashWithdrawnAdvice = advice('cash.withdrawn', CashWithdrawnPayload);
export const TransferSentAdvice = advice('transfer.sent', TransferSentPayload);
export const TransferReceivedAdvice = advice('transfer.received', TransferReceivedPayload);
export const CardFrozenAdvice = advice('card.frozen', CardFreezePayload);
export const CardUnfrozenAdvice = advice('card.unfrozen', CardFreezePayload);

export const Advice = z.discriminatedUnion('type', [
  CardPaymentApprovedAdvice,
  CardPaymentDeclinedAdvice,
  CardPaymentReversedAdvice,
  CardPaymentReversalAcknowledgedAdvice,
  CashWithdrawnAdvice,
  TransferSentAdvice,
  TransferReceivedAdvice,
  CardFrozenAdvice,
  CardUnfrozenAdvice,
]);
export type Advice = z.infer<typeof Advice>;
export type AdviceType = Advice['type'];
export const ADVICE_TYPES = Advice.options.map((option) => option.shape.type.value);

/** What goes on the dead-letter topic when an advice cannot be parsed or applied. */
export const DeadLetteredAdvice = z.strictObject({
  messageId: z.string(),
  receivedAt: Timestamp,
  reason: z.string(),
  /** The raw message body, base64, exactly as received. */
  bodyBase64: z.base64(),
});
export type DeadLetteredAdvice = z.infer<typeof DeadLetteredAdvice>;

/** Primary, operator or internal token: the advices primary could not apply, set aside with their reason (oldest first). */
export const QUARANTINED_ADVICES_ROUTE = '/advices/quarantined';

export const QuarantinedAdvice = z.strictObject({
  adviceId: Uuid,
  accountId: Uuid,
  sequence: z.int().min(1),
  type: z.string(),
  reason: z.string(),
  quarantinedAt: Timestamp,
});
export type QuarantinedAdvice = z.infer<typeof QuarantinedAdvice>;

export const QuarantinedAdvicesReport = z.strictObject({
  /** Every advice quarantined and not re-driven yet; `advices` lists the oldest of them. */
  count: z.int().min(0),
  advices: z.array(QuarantinedAdvice),
});
export type QuarantinedAdvicesReport = z.infer<typeof QuarantinedAdvicesReport>;

/** Where a page of stand-in's advice log ended, `accountId:sequence`: the next page starts after it. */
export const AdviceLogCursor = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d{1,9}$/, {
  error: 'expected the `next` of the previous page (accountId:sequence)',
});

/**
 * Stand-in, the advice consumer's credential: its advice log, in pages of at most `limit`, each
 * account's advices in sequence order. With `unseenAppliedBefore`, only the advices created by then
 * that stand-in has not yet seen primary apply (the re-drive's candidates, one page); without, the
 * whole log (reconciliation), page after page: `after` is the previous page's `next`.
 */
/**
 * Accounts to narrow a reading of the log to (reconciliation of a few accounts reads theirs, not
 * the whole log): comma-separated ids, at most 1,000 (their ids fit in a request's head).
 */
export const AccountsFilter = z
  .string()
  .transform((raw) => raw.split(',').map((id) => id.trim()))
  .pipe(z.array(Uuid).min(1).max(1_000, { error: 'at most 1,000 accounts at once' }));

export const AdviceLogQuery = z.strictObject({
  unseenAppliedBefore: Timestamp.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  after: AdviceLogCursor.optional(),
  /** Only these accounts' advices (the whole log otherwise). */
  accounts: AccountsFilter.optional(),
});
export type AdviceLogQuery = z.infer<typeof AdviceLogQuery>;

/** A page of the advice log; `next` only when there may be more (the page is full). */
export const AdviceLogPage = z.object({ advices: z.array(Advice), next: AdviceLogCursor.optional() });
export type AdviceLogPage = z.infer<typeof AdviceLogPage>;

/**
 * Primary, the advice consumer's credential: what primary has applied, in pages of at most
 * `limit` (keyset on account and sequence, like stand-in's log: `after` is the previous page's
 * `next`), optionally only some accounts'. For reconciliation.
 */
export const APPLIED_ADVICES_ROUTE = '/internal/advices/applied';
export const AppliedAdvicesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  after: AdviceLogCursor.optional(),
  accounts: AccountsFilter.optional(),
});
export type AppliedAdvicesQuery = z.infer<typeof AppliedAdvicesQuery>;
export const AppliedAdviceRecord = z.object({
  adviceId: Uuid,
  accountId: Uuid,
  sequence: z.int().min(1),
  type: z.string(),
  correlationId: CorrelationId,
  /** Why it moved no money, when it did not. */
  note: z.string().optional(),
});
export type AppliedAdviceRecord = z.infer<typeof AppliedAdviceRecord>;
export const AppliedAdvicesPage = z.object({ applied: z.array(AppliedAdviceRecord), next: AdviceLogCursor.optional() });
export type AppliedAdvicesPage = z.infer<typeof AppliedAdvicesPage>;

/** Primary, internal token: which of these advices primary has applied, or set aside (quarantined). */
export const ADVICES_KNOWN_ROUTE = '/internal/advices/known';
export const AdvicesKnownRequest = z.strictObject({ adviceIds: z.array(Uuid).max(10_000) });
export type AdvicesKnownRequest = z.infer<typeof AdvicesKnownRequest>;
export const AdvicesKnown = z.strictObject({ applied: z.array(Uuid), quarantined: z.array(Uuid) });
export type AdvicesKnown = z.infer<typeof AdvicesKnown>;

/**
 * Primary, internal token: a batch of advices applied in one transaction (the advice consumer).
 * Each account's advices in the batch are in its delivery order; the answer has one outcome per
 * advice, in the request's order. The single-advice route stays for re-drive.
 */
export const ADVICES_BATCH_ROUTE = '/internal/advices/batch';
export const ADVICE_BATCH_MAX = 1_000;
export const AdviceBatchRequest = z.strictObject({ advices: z.array(Advice).min(1).max(ADVICE_BATCH_MAX) });
export type AdviceBatchRequest = z.infer<typeof AdviceBatchRequest>;
/** What primary did with one advice; the same outcomes the single-advice route answers. */
export const AdviceOutcome = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('applied'), forcedOverdraft: z.boolean(), note: z.string().optional() }),
  z.strictObject({ outcome: z.literal('duplicate') }),
  z.strictObject({ outcome: z.literal('out_of_order'), expectedSequence: z.int() }),
  z.strictObject({ outcome: z.literal('quarantined'), reason: z.string() }),
  /** Another advice (`heldBy`) already has this place in the account's sequence. */
  z.strictObject({ outcome: z.literal('conflict'), sequence: z.int(), heldBy: z.string() }),
]);
export type AdviceOutcome = z.infer<typeof AdviceOutcome>;
/** One outcome per advice of the request, in its order. */
export const AdviceBatchOutcomes = z.strictObject({ outcomes: z.array(z.strictObject({ adviceId: Uuid, result: AdviceOutcome })) });
export type AdviceBatchOutcomes = z.infer<typeof AdviceBatchOutcomes>;
