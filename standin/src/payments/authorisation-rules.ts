import type { ResponseCode } from '@bank/shared-contracts';
import type { ResolvedRules } from './standin-rules';

// Stand-in's card authorisation decision. Written separately from primary's on purpose: a bug
// there must not be a bug here. Stand-in is more cautious than primary: it also applies its own
// rules (the configuration document's standinRules, resolved for the payment by standin-rules.ts),
// because its view of the balance may be a little behind. This is the specification; the card
// path runs its SQL translation (store/schema.ts, standin_card_rules_verdict), held to the same
// answers by a property-based test on the database.

export interface CardAsStandinSeesIt {
  readonly status: 'active' | 'frozen' | 'cancelled';
  /** YYMM */
  readonly expiry: string;
  readonly dailyCashLimitMinor: number;
}

export interface AuthorisationCase {
  readonly card?: CardAsStandinSeesIt;
  /** The card is on the rules' blocked list. */
  readonly cardBlocked: boolean;
  readonly presentedExpiry: string;
  /** First two digits of the processing code. */
  readonly transactionType: string;
  readonly currency: string;
  readonly amountMinor: number;
  readonly spendableMinor: number;
  readonly approvedTodayMinor: number;
  readonly cashTodayMinor: number;
  /** Stand-in's approvals of this kind (purchases, or cash) on the card since primary was last heard from about the account. */
  readonly sinceLastHeardCount: number;
  readonly sinceLastHeardMinor: number;
  /** How old the account's synced data is (its newest synced event); undefined when stand-in has none. */
  readonly dataAgeMs?: number;
  readonly today: Date;
  readonly rules: ResolvedRules;
}

export interface Verdict {
  readonly code: ResponseCode;
  readonly why: string;
  /** The stand-in rule that declined it (standin-rules.ts names them), if one did. */
  readonly rule?: string;
}

function lastDayPassed(expiry: string, today: Date): boolean {
  const year = 2000 + Number(expiry.slice(0, 2));
  const month = Number(expiry.slice(2));
  // Month index `month` (0-based) is the month after expiry: valid until that month starts.
  return today >= new Date(Date.UTC(year, month, 1));
}

/** The staleness step the data's age falls in: the last one it is older than; data of unknown age gets the last step. */
function stalenessStep(c: AuthorisationCase) {
  const steps = c.rules.staleness;
  if (c.dataAgeMs === undefined) return steps.at(-1);
  let applies: (typeof steps)[number] | undefined;
  for (const step of steps) if (c.dataAgeMs > step.olderThanMinutes * 60_000) applies = step;
  return applies;
}

export function judgeAuthorisation(c: AuthorisationCase): Verdict {
  const step = stalenessStep(c);
  const scaled = (limitMinor: number) => (step ? Math.floor((limitMinor * step.limitPercent) / 100) : limitMinor);
  const note = step && step.limitPercent < 100 ? ` (limits at ${step.limitPercent}% for synced data over ${step.olderThanMinutes} min old)` : '';
  const { kindBlocked, perPayment, sinceLastHeard } = c.rules;
  const rules: Array<[boolean, ResponseCode, string, string?]> = [
    [!c.card, '14', 'card not known to stand-in'],
    [c.card?.status === 'cancelled', '05', 'card cancelled'],
    [c.card?.status === 'frozen', '62', 'card frozen'],
    [c.cardBlocked, '62', 'stand-in rule: card blocked in stand-in', 'blocked-card'],
    [!!c.card && lastDayPassed(c.card.expiry, c.today), '54', 'card expired'],
    [!!c.card && c.presentedExpiry !== c.card.expiry, '54', 'presented expiry does not match'],
    [c.transactionType !== '00' && c.transactionType !== '01', '12', `transaction type ${c.transactionType} not handled in stand-in`],
    [c.currency !== 'GBP', '57', 'stand-in takes GBP only'],
    [kindBlocked !== undefined, '57', kindBlocked?.label ?? '', kindBlocked?.rule],
    [c.amountMinor > scaled(perPayment.limitMinor), '61', perPayment.label + note, perPayment.rule],
    [
      sinceLastHeard.maxCount !== undefined && c.sinceLastHeardCount + 1 > sinceLastHeard.maxCount,
      '61',
      `${sinceLastHeard.label} (count)`,
      `${sinceLastHeard.rule}:count`,
    ],
    [
      sinceLastHeard.maxAmountMinor !== undefined && c.sinceLastHeardMinor + c.amountMinor > scaled(sinceLastHeard.maxAmountMinor),
      '61',
      `${sinceLastHeard.label} (amount)${note}`,
      `${sinceLastHeard.rule}:amount`,
    ],
    [c.approvedTodayMinor + c.amountMinor > scaled(c.rules.perAccountDayMinor), '61', `stand-in risk limit: per account per day${note}`, 'per-account-day'],
    [c.transactionType === '01' && c.cashTodayMinor + c.amountMinor > (c.card?.dailyCashLimitMinor ?? 0), '61', 'over the card daily cash limit'],
    [c.amountMinor > c.spendableMinor, '51', 'insufficient funds as stand-in sees them'],
  ];
  for (const [applies, code, why, rule] of rules) if (applies) return rule ? { code, why, rule } : { code, why };
  return { code: '00', why: 'approved by stand-in' };
}
