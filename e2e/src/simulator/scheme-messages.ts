import type {
  CardAuthorisationRequest,
  CardClearingRecord,
  CardReversalRequest,
  FasterPaymentInboundCredit,
  Merchant,
  MessageKey,
} from '@bank/shared-contracts';
import type { Prng } from './prng';
import type { SimulatedCustomer } from './simulated-customer';

// The messages a payment network sends, as shared-contracts defines them. Identifiers come from
// the run's seeded generator, so a replay sends the same keys; the STAN counter keeps keys unique
// within a run even where the RRNs would collide.

/** Every simulated terminal id starts with this, so a run's card messages can be found in primary. */
export const SIMULATED_TERMINAL_PREFIX = 'CHAOS';

const MERCHANTS: readonly Merchant[] = [
  { name: 'CHAOS COFFEE', categoryCode: '5814', city: 'London', country: 'GB' },
  { name: 'CHAOS GROCER', categoryCode: '5411', city: 'Leeds', country: 'GB' },
  { name: 'CHAOS BOOKS', categoryCode: '5942', city: 'Bristol', country: 'GB' },
  { name: 'CHAOS FUEL', categoryCode: '5541', city: 'York', country: 'GB' },
];
const ATM: Merchant = { name: 'CHAOS ATM', categoryCode: '6011', city: 'London', country: 'GB' };
const DEBTORS = [
  { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
  { sortCode: '309634', accountNumber: '12345678', name: 'Friend' },
  { sortCode: '401276', accountNumber: '87654321', name: 'Refunds Ltd' },
] as const;

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export type SchemeMessages = ReturnType<typeof createSchemeMessages>;

export function createSchemeMessages(prng: Prng) {
  let stan = prng.int(0, 899_999);
  const terminals = Array.from({ length: 12 }, (_, index) => `${SIMULATED_TERMINAL_PREFIX}${String(index + 1).padStart(3, '0')}`);
  const key = (): MessageKey => {
    stan = (stan + 1) % 1_000_000;
    return { stan: String(stan).padStart(6, '0'), rrn: prng.chars(12, ALPHANUMERIC), terminalId: prng.pick(terminals) };
  };
  const now = () => new Date().toISOString();

  return {
    /** 0100 purchase: a hold now, settled by a clearing later. */
    purchase(customer: SimulatedCustomer, amountMinor: number): CardAuthorisationRequest {
      return {
        mti: '0100',
        pan: customer.card.pan,
        expiry: customer.card.expiry,
        processingCode: '000000',
        amountMinor,
        currency: 'GBP',
        transmittedAt: now(),
        ...key(),
        acquirerId: '12345678',
        merchant: prng.pick(MERCHANTS),
        posEntryMode: prng.pick(['chip', 'contactless', 'ecommerce'] as const),
      };
    },
    /** 0200 cash withdrawal at an ATM (processing code 01): posted at once, never cleared. */
    atmWithdrawal(customer: SimulatedCustomer, amountMinor: number): CardAuthorisationRequest {
      return {
        mti: '0200',
        pan: customer.card.pan,
        expiry: customer.card.expiry,
        processingCode: '010000',
        amountMinor,
        currency: 'GBP',
        transmittedAt: now(),
        ...key(),
        acquirerId: '87654321',
        merchant: ATM,
        posEntryMode: 'chip',
      };
    },
    /** 0400 reversal of an authorisation: in full, or leaving `remainingMinor` authorised. */
    reversal(customer: SimulatedCustomer, original: MessageKey, originalAmountMinor: number, remainingMinor?: number): CardReversalRequest {
      return {
        mti: '0400',
        pan: customer.card.pan,
        original: { stan: original.stan, rrn: original.rrn, terminalId: original.terminalId },
        amountMinor: originalAmountMinor,
        ...(remainingMinor === undefined ? {} : { replacementAmountMinor: remainingMinor }),
        currency: 'GBP',
        transmittedAt: now(),
        ...key(),
      };
    },
    /** First presentment of an authorisation, for the same amount or a different one (tips, conversion). */
    clearing(customer: SimulatedCustomer, original: MessageKey, amountMinor: number, merchant: Merchant): CardClearingRecord {
      return {
        clearingId: `CLR-${prng.chars(16, ALPHANUMERIC)}`,
        pan: customer.card.pan,
        original: { stan: original.stan, rrn: original.rrn, terminalId: original.terminalId },
        processingCode: '000000',
        amountMinor,
        currency: 'GBP',
        merchant,
        clearedAt: now(),
      };
    },
    /** A Faster Payments credit from another bank to the customer's account. */
    inboundCredit(customer: SimulatedCustomer, amountMinor: number): FasterPaymentInboundCredit {
      const debtor = prng.pick(DEBTORS);
      return {
        fpsId: `FPSIN-${prng.chars(20, ALPHANUMERIC)}`,
        amountMinor,
        currency: 'GBP',
        debtor: { ...debtor },
        creditor: { sortCode: customer.sortCode, accountNumber: customer.accountNumber, name: customer.holderName },
        reference: prng.pick(['SALARY', 'DINNER', 'RENT SHARE', 'REFUND']),
        sentAt: now(),
      };
    },
  };
}
