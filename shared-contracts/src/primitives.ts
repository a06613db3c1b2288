import { z } from 'zod';

// Money is always an integer count of minor units (pence). ISO 8583 amounts are 12 digits.
export const MAX_AMOUNT_MINOR = 999_999_999_999;

/** A signed amount in minor units (debits negative). */
export const AmountMinor = z
  .int({ error: 'expected an integer number of minor units (pence), not a fraction or a string' })
  .min(-MAX_AMOUNT_MINOR, { error: `expected at least -${MAX_AMOUNT_MINOR} minor units` })
  .max(MAX_AMOUNT_MINOR, { error: `expected at most ${MAX_AMOUNT_MINOR} minor units` });

/** A strictly positive amount in minor units, as every payment instruction carries. */
export const PositiveAmountMinor = AmountMinor.refine((value) => value > 0, {
  error: 'expected a positive amount in minor units',
});

/** A non-negative amount in minor units (limits, balances that cannot go below zero). */
export const NonNegativeAmountMinor = AmountMinor.refine((value) => value >= 0, {
  error: 'expected zero or a positive amount in minor units',
});

/**
 * Text a platform can store: PostgreSQL refuses NUL in text and json, and an unpaired UTF-16
 * surrogate in json. Refused here, at the boundary, with the field named, rather than as a
 * database failure after half the work (a 500, or a card message answered as an outage).
 */
export const UNSTORABLE_TEXT = 'expected text without NUL characters or unpaired UTF-16 surrogates';
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const isStorableText = (value: string): boolean => !value.includes('\u0000') && !UNPAIRED_SURROGATE.test(value);
/** Free text of any contract: the given string schema, refusing what cannot be stored. */
export const storableText = <S extends z.ZodString>(schema: S) => schema.refine(isStorableText, { error: UNSTORABLE_TEXT });

export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, { error: 'expected an ISO 4217 alphabetic currency code such as GBP' });

export const Timestamp = z.iso.datetime({ offset: true, error: 'expected an ISO 8601 timestamp such as 2026-11-21T09:30:00Z' });

/** Canonical (lower case) once it is read, so one id is one key in every table, event and lookup. */
export const Uuid = z.uuid({ error: 'expected a UUID' }).toLowerCase();

export const AccountId = Uuid;
export const CustomerId = Uuid;
export const CardId = Uuid;
export const CorrelationId = Uuid;

/** UK sort code: six digits, no dashes. */
export const SortCode = z.string().regex(/^\d{6}$/, { error: 'expected a sort code of 6 digits without dashes, e.g. 040004' });

/** UK account number: eight digits. The check digit is validated by the platform that owns the account. */
export const AccountNumber = z.string().regex(/^\d{8}$/, { error: 'expected an account number of 8 digits' });

export const PartyName = storableText(z.string().trim().min(1, { error: 'expected a name' }).max(140, { error: 'expected at most 140 characters' }));

/** A payment reference as the Faster Payments scheme carries it. */
export const PaymentReference = storableText(z.string().max(18, { error: 'expected a payment reference of at most 18 characters' }));

export const BankAccountParty = z.strictObject({
  sortCode: SortCode,
  accountNumber: AccountNumber,
  name: PartyName,
});
export type BankAccountParty = z.infer<typeof BankAccountParty>;

/** Card expiry as printed: YYMM. */
export const CardExpiry = z.string().regex(/^\d{2}(0[1-9]|1[0-2])$/, { error: 'expected a card expiry as YYMM, e.g. 2811' });

export const CardLast4 = z.string().regex(/^\d{4}$/, { error: 'expected the last four digits of the card number' });

export const CardStatus = z.enum(['active', 'frozen', 'cancelled']);
export type CardStatus = z.infer<typeof CardStatus>;

export const AccountStatus = z.enum(['open', 'restricted', 'closed']);
export type AccountStatus = z.infer<typeof AccountStatus>;

/**
 * A value encrypted under one platform's keyset. Primary keeps PANs at rest under its own
 * symmetric keyset A (AES-256-GCM); what crosses to stand-in is encrypted with stand-in's
 * public key B (RSA-OAEP, SHA-256), so primary never holds what could decrypt it.
 */
export const SymmetricEncryptedValue = z.strictObject({
  algorithm: z.literal('aes-256-gcm'),
  keyset: z.enum(['A', 'B']),
  keyId: z.string().min(1).max(64),
  ivBase64: z.base64({ error: 'expected base64' }),
  ciphertextBase64: z.base64({ error: 'expected base64' }),
  authTagBase64: z.base64({ error: 'expected base64' }),
});

export const PublicKeyEncryptedValue = z.strictObject({
  algorithm: z.literal('rsa-oaep-256'),
  keyset: z.enum(['A', 'B']),
  keyId: z.string().min(1).max(64),
  ciphertextBase64: z.base64({ error: 'expected base64' }),
});

export const EncryptedValue = z.discriminatedUnion('algorithm', [SymmetricEncryptedValue, PublicKeyEncryptedValue], {
  error: 'expected an encrypted value with algorithm aes-256-gcm or rsa-oaep-256',
});
export type EncryptedValue = z.infer<typeof EncryptedValue>;
export type SymmetricEncryptedValue = z.infer<typeof SymmetricEncryptedValue>;
export type PublicKeyEncryptedValue = z.infer<typeof PublicKeyEncryptedValue>;
