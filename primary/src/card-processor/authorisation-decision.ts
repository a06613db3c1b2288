import type { CardStatus, ResponseCode } from '@bank/shared-contracts';
import { isExpired } from '../cards/pan';

// Primary's card authorisation decision, in one pure function: what the network hears back is
// decided here and nowhere else. Inputs are what the processor read under the account's lock.

export type CardTransactionType = 'purchase' | 'cash' | 'refund' | 'unsupported';

export function transactionTypeOf(processingCode: string): CardTransactionType {
  switch (processingCode.slice(0, 2)) {
    case '00':
      return 'purchase';
    case '01':
      return 'cash';
    case '20':
      return 'refund';
    default:
      return 'unsupported';
  }
}

export interface AuthorisationFacts {
  readonly card: { readonly status: CardStatus; readonly expiry: string; readonly dailyCashLimitMinor: number } | undefined;
  readonly requestExpiry: string;
  readonly type: CardTransactionType;
  readonly amountMinor: number;
  readonly currency: string;
  /** settled − held + overdraft limit, read under the account's lock. */
  readonly availableMinor: number;
  /** Cash already withdrawn with this card today (UTC), approved. */
  readonly cashTodayMinor: number;
  readonly now: Date;
}

export interface AuthorisationDecision {
  readonly responseCode: ResponseCode;
  readonly reason: string;
}

export function decideAuthorisation(facts: AuthorisationFacts): AuthorisationDecision {
  const { card } = facts;
  if (!card) return { responseCode: '14', reason: 'unknown card' };
  if (card.status === 'cancelled') return { responseCode: '05', reason: 'card cancelled' };
  if (card.status === 'frozen') return { responseCode: '62', reason: 'card frozen' };
  if (isExpired(card.expiry, facts.now)) return { responseCode: '54', reason: 'card expired' };
  if (facts.requestExpiry !== card.expiry) return { responseCode: '54', reason: 'expiry date does not match the card' };
  if (facts.type === 'unsupported') return { responseCode: '12', reason: 'processing code not supported' };
  if (facts.currency !== 'GBP') return { responseCode: '57', reason: 'only GBP transactions are supported' };
  if (facts.type === 'refund') return { responseCode: '00', reason: 'refund authorised' };
  if (facts.type === 'cash' && facts.cashTodayMinor + facts.amountMinor > card.dailyCashLimitMinor) {
    return { responseCode: '61', reason: 'daily cash withdrawal limit exceeded' };
  }
  if (facts.availableMinor < facts.amountMinor) return { responseCode: '51', reason: 'insufficient funds' };
  return { responseCode: '00', reason: 'approved' };
}
