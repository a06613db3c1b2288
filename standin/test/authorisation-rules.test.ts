import { DEFAULT_RISK_LIMITS, judgeAuthorisation, type AuthorisationCase } from '../src/payments/authorisation-rules';

const base: AuthorisationCase = {
  card: { status: 'active', expiry: '3011', dailyCashLimitMinor: 20_000 },
  presentedExpiry: '3011',
  transactionType: '00',
  currency: 'GBP',
  amountMinor: 1_000,
  spendableMinor: 5_000,
  approvedTodayMinor: 0,
  cashTodayMinor: 0,
  today: new Date('2026-11-21T12:00:00Z'),
  limits: DEFAULT_RISK_LIMITS,
};

test.each<[string, Partial<AuthorisationCase>, string]>([
  ['an ordinary payment within the balance', {}, '00'],
  ['no card', { card: undefined }, '14'],
  ['a frozen card', { card: { ...base.card!, status: 'frozen' } }, '62'],
  ['a cancelled card', { card: { ...base.card!, status: 'cancelled' } }, '05'],
  ['an expired card', { card: { ...base.card!, expiry: '2610' }, presentedExpiry: '2610' }, '54'],
  ['a refund (not handled in stand-in)', { transactionType: '20' }, '12'],
  ['euros', { currency: 'EUR' }, '57'],
  ['a payment over the per-payment limit', { amountMinor: DEFAULT_RISK_LIMITS.perPaymentMinor + 1, spendableMinor: 10_000_000 }, '61'],
  ['the day already at the account limit', { approvedTodayMinor: DEFAULT_RISK_LIMITS.perAccountPerDayMinor }, '61'],
  ['cash over the card limit', { transactionType: '01', cashTodayMinor: 19_500 }, '61'],
  ['more than stand-in thinks is there', { amountMinor: 5_001 }, '51'],
])('stand-in answers %s with %s', (_case, change, code) => {
  expect(judgeAuthorisation({ ...base, ...change }).code).toBe(code);
});
