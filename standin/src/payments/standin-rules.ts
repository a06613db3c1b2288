import type { Logger } from 'pino';
import {
  DEFAULT_STANDIN_RULES,
  MAX_AMOUNT_MINOR,
  STANDIN_CHANNEL_NAMES,
  type CardAuthorisationRequest,
  type StalenessStep,
  type StandinChannel,
  type StandinRules,
} from '@bank/shared-contracts';
import { currentConfiguration } from '../configuration/configuration-store';
import type { Database } from '../store/database';

// Stand-in's rules (the configuration document's standinRules) as they apply to one payment: which
// rule, if any, blocks its kind; the tightest per-payment limit among the general one, its channel's
// and its merchant category's; the since-last-heard limits for purchases or cash. Each carries a
// stable name (`rule`, for counting: the shadow report's cost per rule, the incident's declines) and
// the words a decline gives (`label`). Both the real card path (its SQL) and the shadow path
// decide on this one resolution.

export interface NamedLimit {
  readonly limitMinor: number;
  readonly rule: string;
  readonly label: string;
}

export interface ResolvedRules {
  readonly kindBlocked?: { readonly rule: string; readonly label: string };
  readonly perPayment: NamedLimit;
  readonly sinceLastHeard: { readonly maxCount?: number; readonly maxAmountMinor?: number; readonly rule: string; readonly label: string };
  readonly perAccountDayMinor: number;
  readonly blockedCards: readonly string[];
  readonly staleness: readonly StalenessStep[];
}

/** Cash is judged as ATM cash whatever the entry mode; otherwise the POS entry mode is the channel. */
export function channelOf(message: Pick<CardAuthorisationRequest, 'processingCode' | 'posEntryMode'>): StandinChannel {
  return message.processingCode.startsWith('01') ? 'atm' : message.posEntryMode;
}

export function resolveRules(rules: StandinRules, message: Pick<CardAuthorisationRequest, 'processingCode' | 'posEntryMode' | 'merchant'>): ResolvedRules {
  const channel = channelOf(message);
  const channelName = STANDIN_CHANNEL_NAMES[channel];
  const channelRule = rules.channels[channel];
  const mcc = message.merchant.categoryCode;
  const categoryRule = rules.merchantCategories[mcc];
  const categoryName = `MCC ${mcc}${categoryRule?.description ? ` (${categoryRule.description})` : ''}`;

  const kindBlocked = channelRule?.blocked
    ? { rule: `channel:${channel}:blocked`, label: `stand-in rule: no ${channelName} payments` }
    : categoryRule?.blocked
      ? { rule: `mcc:${mcc}:blocked`, label: `stand-in rule: no payments at ${categoryName}` }
      : undefined;

  // The tightest limit wins; on a tie the most specific rule is named, as it is the one to relax.
  const candidates: NamedLimit[] = [
    ...(categoryRule?.maxPerPaymentMinor === undefined
      ? []
      : [{ limitMinor: categoryRule.maxPerPaymentMinor, rule: `mcc:${mcc}:per-payment`, label: `stand-in risk limit: ${categoryName} per payment` }]),
    ...(channelRule?.maxPerPaymentMinor === undefined
      ? []
      : [{ limitMinor: channelRule.maxPerPaymentMinor, rule: `channel:${channel}:per-payment`, label: `stand-in risk limit: ${channelName} per payment` }]),
    { limitMinor: rules.maxPerPaymentMinor, rule: 'per-payment', label: 'stand-in risk limit: per payment' },
  ];
  const perPayment = candidates.reduce((tightest, candidate) => (candidate.limitMinor < tightest.limitMinor ? candidate : tightest));

  const cash = channel === 'atm';
  const since = cash ? rules.sinceLastHeard.cash : rules.sinceLastHeard.purchases;
  return {
    ...(kindBlocked ? { kindBlocked } : {}),
    perPayment,
    sinceLastHeard: {
      ...(since.maxCount === undefined ? {} : { maxCount: since.maxCount }),
      ...(since.maxAmountMinor === undefined ? {} : { maxAmountMinor: since.maxAmountMinor }),
      rule: cash ? 'cash-since-heard' : 'purchases-since-heard',
      label: `stand-in risk limit: ${cash ? 'cash' : 'purchases'} since primary last heard`,
    },
    perAccountDayMinor: rules.maxPerAccountPerDayMinor,
    blockedCards: rules.blockedCards,
    staleness: rules.staleness,
  };
}

/** A decline's words without the staleness note the amount limits may add: the rule's own label, for counting by rule. */
export const withoutStalenessNote = (reason: string): string => reason.replace(/ \(limits at \d+% for synced data over \d+ min old\)$/, '');

/** Every rule lifted: the shadow report's "would stand-in have approved without its rules?". */
export const NO_RULES: StandinRules = {
  maxPerPaymentMinor: MAX_AMOUNT_MINOR,
  maxPerAccountPerDayMinor: MAX_AMOUNT_MINOR,
  sinceLastHeard: { purchases: {}, cash: {} },
  channels: {},
  merchantCategories: {},
  blockedCards: [],
  staleness: [],
};

/** Where the card path reads the rules in force: synchronously, from memory. */
export interface StandinRulesSource {
  current(): StandinRules;
}

/** Fixed rules (tests, the API reference): the defaults with these changes. */
export function fixedRules(changes: Partial<StandinRules> = {}): StandinRulesSource {
  const rules = { ...DEFAULT_STANDIN_RULES, ...changes };
  return { current: () => rules };
}

/**
 * The rules of the configuration stand-in holds, read from its database every `refreshMs` (and at
 * once when told of a change made through this replica), so an engineer's change applies on every
 * replica within about a second and no card authorisation waits for a read. Until the first read
 * the card path is not started (main.ts awaits `ready`); a failed read keeps the rules last read.
 */
export function configurationRules(deps: { database: Database; refreshMs: number; logger: Logger }) {
  let rules: StandinRules | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;

  const read = (): Promise<void> =>
    (reading ??= currentConfiguration(deps.database)
      .then(
        (document) => void (rules = document.standinRules),
        (failure: unknown) => deps.logger.warn({ err: failure }, 'stand-in could not read its card rules; the rules last read stay in force'),
      )
      .finally(() => (reading = undefined)));

  return {
    /** Resolves once the rules have been read (or the read failed and the defaults apply). */
    async start(): Promise<void> {
      await read();
      rules ??= DEFAULT_STANDIN_RULES;
      timer = setInterval(() => void read(), deps.refreshMs);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
    },
    /** A change made through this replica: in force here at once. */
    adopt(next: StandinRules): void {
      rules = next;
    },
    current: (): StandinRules => rules ?? DEFAULT_STANDIN_RULES,
  };
}
