import { z } from 'zod';
import { CardExpiry, CurrencyCode, NonNegativeAmountMinor, PositiveAmountMinor, storableText, Timestamp } from './primitives';

// Card scheme messages with ISO 8583 meaning, carried as JSON between the payment network
// (through the data-centre gateway) and either platform's scheme API. Both platforms accept
// exactly these shapes, so a message can be proxied from primary to stand-in unchanged.

/** ISO 8583 response codes the platforms answer with (field 39). */
export const ResponseCode = z.enum([
  '00', // approved
  '05', // do not honour (e.g. cancelled card)
  '12', // invalid transaction
  '14', // invalid card number (unknown card)
  '30', // format error
  '51', // insufficient funds
  '54', // expired card
  '57', // transaction not permitted to cardholder
  '61', // exceeds withdrawal amount limit
  '62', // restricted card (e.g. frozen)
  '91', // issuer or switch inoperative
  '96', // system malfunction
]);
export type ResponseCode = z.infer<typeof ResponseCode>;

export const RESPONSE_CODE_MEANING: Readonly<Record<ResponseCode, string>> = {
  '00': 'approved',
  '05': 'do not honour',
  '12': 'invalid transaction',
  '14': 'invalid card number',
  '30': 'format error',
  '51': 'insufficient funds',
  '54': 'expired card',
  '57': 'transaction not permitted to cardholder',
  '61': 'exceeds withdrawal amount limit',
  '62': 'restricted card',
  '91': 'issuer or switch inoperative',
  '96': 'system malfunction',
};

/** Field 3. The first two digits are the transaction type. */
export const ProcessingCode = z.string().regex(/^\d{6}$/, { error: 'expected a 6-digit ISO 8583 processing code, e.g. 000000 purchase, 010000 cash' });
export const PROCESSING_CODES = {
  purchase: '000000',
  cashWithdrawal: '010000',
  refund: '200000',
} as const;

/** Field 2. Digits only; whether it is a card we issued (and its Luhn digit) is the issuer's decision (code 14). */
export const Pan = z.string().regex(/^\d{12,19}$/, { error: 'expected a card number (PAN) of 12 to 19 digits' });

/** Field 11, systems trace audit number. */
export const Stan = z.string().regex(/^\d{6}$/, { error: 'expected a 6-digit STAN' });
/** Field 37, retrieval reference number. */
export const Rrn = z.string().regex(/^[0-9A-Za-z]{12}$/, { error: 'expected a 12-character alphanumeric RRN' });
/** Field 41, card acceptor terminal id. */
export const TerminalId = z.string().regex(/^[0-9A-Za-z]{1,8}$/, { error: 'expected a terminal id of 1 to 8 letters or digits' });

/** Field 43 and field 18. */
export const Merchant = z.strictObject({
  name: storableText(z.string().trim().min(1, { error: 'expected a merchant name' }).max(40, { error: 'expected at most 40 characters' })),
  categoryCode: z.string().regex(/^\d{4}$/, { error: 'expected a 4-digit merchant category code (MCC)' }),
  city: storableText(z.string().trim().min(1).max(25)),
  country: z.string().regex(/^[A-Z]{2}$/, { error: 'expected an ISO 3166 two-letter country code' }),
});
export type Merchant = z.infer<typeof Merchant>;

/** The triple that identifies one message from the network; a repeat gets the original answer. */
export const MessageKey = z.strictObject({ stan: Stan, rrn: Rrn, terminalId: TerminalId });
export type MessageKey = z.infer<typeof MessageKey>;

export const PosEntryMode = z.enum(['chip', 'contactless', 'magstripe', 'ecommerce', 'manual']);

/** 0100 authorisation (dual message) or 0200 financial request (single message, e.g. ATM). */
export const CardAuthorisationRequest = z.strictObject({
  mti: z.enum(['0100', '0200'], { error: 'expected MTI 0100 (authorisation) or 0200 (financial request)' }),
  pan: Pan,
  expiry: CardExpiry,
  processingCode: ProcessingCode,
  amountMinor: PositiveAmountMinor,
  currency: CurrencyCode,
  transmittedAt: Timestamp,
  stan: Stan,
  rrn: Rrn,
  terminalId: TerminalId,
  acquirerId: z.string().regex(/^\d{1,11}$/, { error: 'expected an acquirer id of up to 11 digits' }),
  merchant: Merchant,
  posEntryMode: PosEntryMode,
});
export type CardAuthorisationRequest = z.infer<typeof CardAuthorisationRequest>;

export const DecidedBy = z.enum(['primary', 'standin']);
export type DecidedBy = z.infer<typeof DecidedBy>;

export const AuthorisationCode = z.string().regex(/^[0-9A-Z]{6}$/, { error: 'expected a 6-character authorisation code' });

export const CardAuthorisationResponse = z
  .strictObject({
    mti: z.enum(['0110', '0210']),
    stan: Stan,
    rrn: Rrn,
    terminalId: TerminalId,
    responseCode: ResponseCode,
    authorisationCode: AuthorisationCode.optional(),
    approvedAmountMinor: NonNegativeAmountMinor,
    decidedBy: DecidedBy,
    /** Why, in words, for logs and the shadow report; never contains the PAN. */
    reason: storableText(z.string().max(200)).optional(),
  })
  .refine((response) => response.responseCode !== '00' || response.authorisationCode !== undefined, {
    error: 'an approval (response code 00) must carry an authorisation code',
    path: ['authorisationCode'],
  });
export type CardAuthorisationResponse = z.infer<typeof CardAuthorisationResponse>;

/**
 * 0400 reversal or 0420 reversal advice. A partial reversal names the amount that remains
 * authorised (field 95, replacement amount); a full reversal omits it.
 */
export const CardReversalRequest = z
  .strictObject({
    mti: z.enum(['0400', '0420']),
    pan: Pan,
    original: MessageKey,
    amountMinor: PositiveAmountMinor,
    replacementAmountMinor: NonNegativeAmountMinor.optional(),
    currency: CurrencyCode,
    transmittedAt: Timestamp,
    stan: Stan,
    rrn: Rrn,
    terminalId: TerminalId,
  })
  .refine((reversal) => reversal.replacementAmountMinor === undefined || reversal.replacementAmountMinor < reversal.amountMinor, {
    error: 'a partial reversal must leave less than the original amount authorised',
    path: ['replacementAmountMinor'],
  });
export type CardReversalRequest = z.infer<typeof CardReversalRequest>;

/** What a timeout reversal needs of the authorisation it reverses. */
export type TimedOutAuthorisation = Pick<CardAuthorisationRequest, 'pan' | 'stan' | 'rrn' | 'terminalId' | 'amountMinor' | 'currency'>;

/**
 * The 0420 whoever answered the network 91 in a platform's place sends that platform, as an
 * acquirer reverses what timed out: the original's RRN and terminal, the whole amount, and a STAN
 * of its own derived from the original's. Every attempt, and every sender (primary for what it
 * proxied to stand-in, the gateway for what it forwarded to either platform), builds the same
 * message key, so a platform answers a repeat as it answered the first and reverses nothing twice.
 */
export function timeoutReversalOf(authorisation: TimedOutAuthorisation, transmittedAt: Date): CardReversalRequest {
  return {
    mti: '0420',
    pan: authorisation.pan,
    original: { stan: authorisation.stan, rrn: authorisation.rrn, terminalId: authorisation.terminalId },
    amountMinor: authorisation.amountMinor,
    currency: authorisation.currency,
    transmittedAt: transmittedAt.toISOString(),
    stan: timeoutReversalStan(authorisation.stan),
    rrn: authorisation.rrn,
    terminalId: authorisation.terminalId,
  };
}

/** The timeout reversal's own STAN: the original's, shifted by half the STAN space. */
export function timeoutReversalStan(originalStan: string): string {
  return String((Number(originalStan) + 500_000) % 1_000_000).padStart(6, '0');
}

export const CardReversalResponse = z.strictObject({
  mti: z.enum(['0410', '0430']),
  stan: Stan,
  rrn: Rrn,
  terminalId: TerminalId,
  responseCode: ResponseCode,
  decidedBy: DecidedBy,
  reason: storableText(z.string().max(200)).optional(),
});
export type CardReversalResponse = z.infer<typeof CardReversalResponse>;

/**
 * Clearing (first presentment): settles an authorisation. The cleared amount may differ from the
 * authorised one (tips, currency conversion). A refund is presented with processing code 20.
 */
export const CardClearingRecord = z.strictObject({
  clearingId: z.string().regex(/^[0-9A-Za-z-]{1,40}$/, { error: 'expected a clearing id of up to 40 letters, digits or dashes' }),
  pan: Pan,
  original: MessageKey.optional(),
  processingCode: ProcessingCode,
  amountMinor: PositiveAmountMinor,
  currency: CurrencyCode,
  merchant: Merchant,
  clearedAt: Timestamp,
});
export type CardClearingRecord = z.infer<typeof CardClearingRecord>;

export const CardClearingResult = z.strictObject({
  clearingId: z.string(),
  status: z.enum(['settled', 'rejected']),
  reason: storableText(z.string().max(200)).optional(),
});
export type CardClearingResult = z.infer<typeof CardClearingResult>;
