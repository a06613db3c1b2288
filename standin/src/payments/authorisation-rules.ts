import type { ResponseCode } from '@bank/shared-contracts';

// Stand-in's card authorisation decision. Written separately from primary's on purpose: a bug
// there must not be a bug here. Stand-in is more cautious than primary: it also applies its own
// risk limits, because its view of the balance may be a little behind.

export interface RiskLimits {
  /** No single payment above this is approved in stand-in. */
  readonly perPaymentMinor: number;
  /** Nor more than this per account per UTC day, all stand-in card payments together. */
  readonly perAccountPerDayMinor: number;
}

export const DEFAULT_RISK_LIMITS: RiskLimits = { perPaymentMinor: 50_000, perAccountPerDayMinor: 150_000 };

export interface CardAsStandinSeesIt {
  readonly status: 'active' | 'frozen' | 'cancelled';
  /** YYMM */
  readonly expiry: string;
  readonly dailyCashLimitMinor: number;
}

export interface AuthorisationCase {
  readonly card?: CardAsStandinSeesIt;
  readonly presentedExpiry: string;
  /** First two digits of the processing code. */
  readonly transactionType: string;
  readonly currency: string;
  readonly amountMinor: number;
  readonly spendableMinor: number;
  readonly approvedTodayMinor: number;
  readonly cashTodayMinor: number;
  readonly today: Date;
  readonly limits: RiskLimits;
}

export interface Verdict {
  readonly code: ResponseCode;
  readonly why: string;
}

function lastDayPassed(expiry: string, today: Date): boolean {
  const year = 2000 + Number(expiry.slice(0, 2));
  const month = Number(expiry.slice(2));
  // Month index `month` (0-based) is the month after expiry: valid until that month starts.
  return today >= new Date(Date.UTC(year, month, 1));
}

export function judgeAuthorisation(c: AuthorisationCase): Verdict {
  const rules: Array<[boolean, ResponseCode, string]> = [
    [!c.card, '14', 'card not known to stand-in'],
    [c.card?.status === 'cancelled', '05', 'card cancelled'],
    [c.card?.status === 'frozen', '62', 'card frozen'],
    [!!c.card && lastDayPassed(c.card.expiry, c.today), '54', 'card expired'],
    [!!c.card && c.presentedExpiry !== c.card.expiry, '54', 'presented expiry does not match'],
    [c.transactionType !== '00' && c.transactionType !== '01', '12', `transaction type ${c.transactionType} not handled in stand-in`],
    [c.currency !== 'GBP', '57', 'stand-in takes GBP only'],
    [c.amountMinor > c.limits.perPaymentMinor, '61', 'over stand-in per-payment limit'],
    [c.approvedTodayMinor + c.amountMinor > c.limits.perAccountPerDayMinor, '61', 'over stand-in daily limit for the account'],
    [c.transactionType === '01' && c.cashTodayMinor + c.amountMinor > (c.card?.dailyCashLimitMinor ?? 0), '61', 'over the card daily cash limit'],
    [c.amountMinor > c.spendableMinor, '51', 'insufficient funds as stand-in sees them'],
  ];
  for (const [applies, code, why] of rules) if (applies) return { code, why };
  return { code: '00', why: 'approved by stand-in' };
}
