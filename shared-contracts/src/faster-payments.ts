import { z } from 'zod';
import { DecidedBy } from './card-scheme';
import { BankAccountParty, PaymentReference, PositiveAmountMinor, storableText, Timestamp } from './primitives';

// Faster Payments between this bank and the scheme, carried as JSON. The same instruction shape
// goes both ways: inbound credits arrive from the scheme, outbound sends leave for it.

/** Faster Payments identification, unique per payment across the scheme. */
export const FpsId = z.string().regex(/^[0-9A-Za-z-]{8,40}$/, { error: 'expected a Faster Payments id of 8 to 40 letters, digits or dashes' });

export const FasterPaymentInstruction = z.strictObject({
  fpsId: FpsId,
  amountMinor: PositiveAmountMinor,
  currency: z.literal('GBP', { error: 'expected GBP: Faster Payments settle in sterling only' }),
  debtor: BankAccountParty,
  creditor: BankAccountParty,
  reference: PaymentReference,
  sentAt: Timestamp,
});
export type FasterPaymentInstruction = z.infer<typeof FasterPaymentInstruction>;

/** Inbound: the scheme asks us to credit one of our accounts (creditor is ours). */
export const FasterPaymentInboundCredit = FasterPaymentInstruction;
export type FasterPaymentInboundCredit = FasterPaymentInstruction;

/** Outbound: we ask the scheme to pay someone (debtor is ours). */
export const FasterPaymentOutboundSend = FasterPaymentInstruction;
export type FasterPaymentOutboundSend = FasterPaymentInstruction;

export const FasterPaymentRejectReason = z.enum([
  'account_unknown',
  'account_closed',
  'account_restricted',
  'insufficient_funds',
  'limit_exceeded',
  'invalid_request',
  'beneficiary_bank_unavailable',
]);
export type FasterPaymentRejectReason = z.infer<typeof FasterPaymentRejectReason>;

/** The answer to either direction: accept, or reject with a reason code and a message. */
export const FasterPaymentResponse = z
  .strictObject({
    fpsId: FpsId,
    status: z.enum(['accepted', 'rejected']),
    rejectReason: FasterPaymentRejectReason.optional(),
    message: storableText(z.string().max(200)).optional(),
    decidedBy: DecidedBy.optional(),
  })
  .refine((response) => (response.status === 'rejected') === (response.rejectReason !== undefined), {
    error: 'a rejection must carry a reject reason and an acceptance must not',
    path: ['rejectReason'],
  });
export type FasterPaymentResponse = z.infer<typeof FasterPaymentResponse>;
