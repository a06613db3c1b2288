import { z } from 'zod';
import {
  AccountId,
  AccountNumber,
  AccountStatus,
  AmountMinor,
  BankAccountParty,
  CardExpiry,
  CardId,
  CardLast4,
  CardStatus,
  CorrelationId,
  CurrencyCode,
  CustomerId,
  PublicKeyEncryptedValue,
  NonNegativeAmountMinor,
  PartyName,
  SortCode,
  storableText,
  Timestamp,
  Uuid,
} from './primitives';
import { Merchant } from './card-scheme';
import { FpsId } from './faster-payments';

// Events primary publishes on Kafka (key: account id) through its transactional outbox.
// Stand-in's syncer consumes the types below; primary may publish others, which the
// syncer skips after reading only the header.

export const EVENT_SCHEMA_VERSION = 1;

/** The fields every event has, whatever its type: enough to route, dedupe and order it. */
export const PrimaryEventHeader = z.object({
  eventId: Uuid,
  type: z.string().min(1),
  accountId: AccountId,
  /** Per-account, gap-free, starting at 1: consumers apply in this order and detect gaps. */
  sequence: z.int().positive({ error: 'expected a per-account sequence number starting at 1' }),
  occurredAt: Timestamp,
  correlationId: CorrelationId.optional(),
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION, { error: `expected schemaVersion ${EVENT_SCHEMA_VERSION}` }),
});
export type PrimaryEventHeader = z.infer<typeof PrimaryEventHeader>;

export const AccountOpenedPayload = z.strictObject({
  customerId: CustomerId,
  holderName: PartyName,
  sortCode: SortCode,
  accountNumber: AccountNumber,
  currency: z.literal('GBP'),
  overdraftLimitMinor: NonNegativeAmountMinor,
  status: AccountStatus,
});

export const AccountUpdatedPayload = z.strictObject({
  status: AccountStatus,
  overdraftLimitMinor: NonNegativeAmountMinor,
  /** Primary flags an account that an advice took past its arranged overdraft. */
  unapprovedOverdraft: z.boolean(),
});

/** The ledger's view after a change; available = settled − held + overdraft limit. */
export const BalanceChangedPayload = z.strictObject({
  settledBalanceMinor: AmountMinor,
  heldMinor: NonNegativeAmountMinor,
  overdraftLimitMinor: NonNegativeAmountMinor,
  currency: z.literal('GBP'),
});

export const CardIssuedPayload = z.strictObject({
  cardId: CardId,
  /** The PAN, encrypted with stand-in's public key B. Never plaintext on a topic. */
  panForStandin: PublicKeyEncryptedValue.refine((value) => value.keyset === 'B', { error: 'expected the PAN encrypted for keyset B (stand-in)' }),
  last4: CardLast4,
  expiry: CardExpiry,
  status: CardStatus,
  dailyCashLimitMinor: NonNegativeAmountMinor,
});

export const CardStatusChangedPayload = z.strictObject({
  cardId: CardId,
  status: CardStatus,
  reason: storableText(z.string().max(200)).optional(),
});

export const TransactionKind = z.enum([
  'card_payment',
  'cash_withdrawal',
  'card_refund',
  'faster_payment_in',
  'faster_payment_out',
  'internal_transfer',
  'pot_transfer',
]);
export type TransactionKind = z.infer<typeof TransactionKind>;

export const TransactionStatus = z.enum(['pending', 'settled', 'declined', 'reversed']);
export type TransactionStatus = z.infer<typeof TransactionStatus>;

/** A transaction's full current state; a later sequence for the same transaction replaces it. */
export const TransactionRecordedPayload = z.strictObject({
  transactionId: Uuid,
  kind: TransactionKind,
  status: TransactionStatus,
  /** Signed: negative moves money out of the account. */
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  description: storableText(z.string().max(140)),
  merchant: Merchant.optional(),
  counterparty: BankAccountParty.optional(),
  cardId: CardId.optional(),
  /** A Faster Payment's scheme id: the same payment re-presented anywhere is recognised by it. */
  fpsId: FpsId.optional(),
  createdAt: Timestamp,
});

export const PotChangedPayload = z.strictObject({
  potId: Uuid,
  name: storableText(z.string().min(1).max(60)),
  balanceMinor: NonNegativeAmountMinor,
  status: z.enum(['active', 'closed']),
});

export const PayeeAddedPayload = z.strictObject({
  payeeId: Uuid,
  name: PartyName,
  sortCode: SortCode,
  accountNumber: AccountNumber,
});

export const PayeeRemovedPayload = z.strictObject({ payeeId: Uuid });

/**
 * The app credential a customer's app presents, as a SHA-256 hash (never the token): with it
 * stand-in's app API recognises the customer when primary cannot be asked.
 */
export const CustomerCredentialIssuedPayload = z.strictObject({
  customerId: CustomerId,
  tokenSha256Base64: z.base64({ error: 'expected the token hash, base64' }),
  /**
   * When the token stops being accepted (primary's PRIMARY_CUSTOMER_TOKEN_TTL_DAYS after issue).
   * Optional only because events published before tokens expired carry none: those tokens are
   * ended by a revocation, as every token can be.
   */
  expiresAt: Timestamp.optional(),
  /**
   * When it was issued: a revocation ends the customer's tokens issued at or before its
   * `revokedAt` (primary keeps a customer's issues and revocations in that order). Absent in
   * events from before revocation existed: the event's `occurredAt` stands in.
   */
  issuedAt: Timestamp.optional(),
});

/**
 * Every app token of this customer issued at or before `revokedAt` is no longer accepted (an
 * operator revoked them: a lost phone, a suspected compromise). Announced on each of the
 * customer's accounts, so it reaches stand-in in the same per-account order as the credentials.
 */
export const CustomerCredentialsRevokedPayload = z.strictObject({
  customerId: CustomerId,
  revokedAt: Timestamp,
});

function event<T extends string, P extends z.ZodType>(type: T, payload: P) {
  return PrimaryEventHeader.extend({ type: z.literal(type), payload }).strict();
}

export const AccountOpened = event('account.opened', AccountOpenedPayload);
export const AccountUpdated = event('account.updated', AccountUpdatedPayload);
export const BalanceChanged = event('balance.changed', BalanceChangedPayload);
export const CardIssued = event('card.issued', CardIssuedPayload);
export const CardStatusChanged = event('card.status_changed', CardStatusChangedPayload);
export const TransactionRecorded = event('transaction.recorded', TransactionRecordedPayload);
export const PotChanged = event('pot.changed', PotChangedPayload);
export const PayeeAdded = event('payee.added', PayeeAddedPayload);
export const PayeeRemoved = event('payee.removed', PayeeRemovedPayload);
export const CustomerCredentialIssued = event('customer.credential_issued', CustomerCredentialIssuedPayload);
export const CustomerCredentialsRevoked = event('customer.credentials_revoked', CustomerCredentialsRevokedPayload);

/** Every event type stand-in needs, discriminated by `type`. */
export const PrimaryEvent = z.discriminatedUnion('type', [
  AccountOpened,
  AccountUpdated,
  BalanceChanged,
  CardIssued,
  CardStatusChanged,
  TransactionRecorded,
  PotChanged,
  PayeeAdded,
  PayeeRemoved,
  CustomerCredentialIssued,
  CustomerCredentialsRevoked,
]);
export type PrimaryEvent = z.infer<typeof PrimaryEvent>;
export type PrimaryEventType = PrimaryEvent['type'];
export const PRIMARY_EVENT_TYPES = PrimaryEvent.options.map((option) => option.shape.type.value);
