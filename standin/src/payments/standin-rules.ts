import type { Logger } from 'pino';
import {
  DEFAULT_STANDIN_RULES,
  MAX_AMOUNT_MINOR,
  STANDIN_CHANNEL_NAMES,
  type CardAuthorisationRequest,
  type ConfigurationDocument,
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

/**
 * The channels whose rules apply: the POS entry mode, and for cash also `atm` (cash is the
 * riskiest thing stand-in approves, whatever the entry mode). Both apply to cash: a block on
 * magnetic stripe stops a skimmed card at a cash machine too.
 */
export function channelsOf(message: Pick<CardAuthorisationRequest, 'processingCode' | 'posEntryMode'>): StandinChannel[] {
  return message.processingCode.startsWith('01') ? ['atm', message.posEntryMode] : [message.posEntryMode];
}

export function resolveRules(rules: StandinRules, message: Pick<CardAuthorisationRequest, 'processingCode' | 'posEntryMode' | 'merchant'>): ResolvedRules {
  const channels = channelsOf(message).map((channel) => ({ channel, name: STANDIN_CHANNEL_NAMES[channel], rule: rules.channels[channel] }));
  const mcc = message.merchant.categoryCode;
  const categoryRule = rules.merchantCategories[mcc];
  const categoryName = `MCC ${mcc}${categoryRule?.description ? ` (${categoryRule.description})` : ''}`;

  const blockedChannel = channels.find((channel) => channel.rule?.blocked);
  const kindBlocked = blockedChannel
    ? { rule: `channel:${blockedChannel.channel}:blocked`, label: `stand-in rule: no ${blockedChannel.name} payments` }
    : categoryRule?.blocked
      ? { rule: `mcc:${mcc}:blocked`, label: `stand-in rule: no payments at ${categoryName}` }
      : undefined;

  // The tightest limit wins; on a tie the most specific rule is named, as it is the one to relax.
  const candidates: NamedLimit[] = [
    ...(categoryRule?.maxPerPaymentMinor === undefined
      ? []
      : [{ limitMinor: categoryRule.maxPerPaymentMinor, rule: `mcc:${mcc}:per-payment`, label: `stand-in risk limit: ${categoryName} per payment` }]),
    ...channels.flatMap(({ channel, name, rule }) =>
      rule?.maxPerPaymentMinor === undefined
        ? []
        : [{ limitMinor: rule.maxPerPaymentMinor, rule: `channel:${channel}:per-payment`, label: `stand-in risk limit: ${name} per payment` }],
    ),
    { limitMinor: rules.maxPerPaymentMinor, rule: 'per-payment', label: 'stand-in risk limit: per payment' },
  ];
  const perPayment = candidates.reduce((tightest, candidate) => (candidate.limitMinor < tightest.limitMinor ? candidate : tightest));

  const cash = message.processingCode.startsWith('01');
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

const resolvedJson = new WeakMap<StandinRules, Map<string, string>>();
/** Kinds of payment remembered per rule set: channels × merchant categories seen; beyond it, start again. */
const RESOLVED_JSON_KINDS = 2_000;

/**
 * resolveRules as the JSON the card path sends the database, made once per rule set and kind of
 * payment (cash or not, entry mode, category), not per authorisation: a rule set can carry a
 * thousand blocked cards.
 */
export function resolvedRulesJson(rules: StandinRules, message: Pick<CardAuthorisationRequest, 'processingCode' | 'posEntryMode' | 'merchant'>): string {
  let kinds = resolvedJson.get(rules);
  if (!kinds) resolvedJson.set(rules, (kinds = new Map()));
  const key = `${message.processingCode.startsWith('01') ? 'cash' : 'purchase'}/${message.posEntryMode}/${message.merchant.categoryCode}`;
  let json = kinds.get(key);
  if (json === undefined) {
    if (kinds.size >= RESOLVED_JSON_KINDS) kinds.clear();
    json = JSON.stringify(resolveRules(rules, message));
    kinds.set(key, json);
  }
  return json;
}

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

/** How long a starting stand-in keeps trying to read its rules before it gives up (and does not start). */
const FIRST_READ_LIMIT_MS = 30_000;

/**
 * The rules of the configuration stand-in holds, read from its database every `refreshMs` (and at
 * once when told of a change made through this replica), so an engineer's change applies on every
 * replica within about a second and no card authorisation waits for a read. Only a higher (or the
 * same) configuration version replaces the rules in force, so a slow read cannot undo a newer change.
 * The card path does not start before the first read (main.ts awaits `start`): a stand-in that
 * cannot read its rules does not start on the defaults; a failed later read keeps the rules in force.
 */
export function configurationRules(deps: { database: Database; refreshMs: number; logger: Logger; sleep?: (ms: number) => Promise<void> }) {
  let held: { version: number; rules: StandinRules } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  const take = (document: Pick<ConfigurationDocument, 'version' | 'standinRules'>) => {
    if (!held || document.version >= held.version) held = { version: document.version, rules: document.standinRules };
  };
  const read = (): Promise<void> =>
    (reading ??= currentConfiguration(deps.database)
      .then(take)
      .finally(() => (reading = undefined)));

  return {
    async start(): Promise<void> {
      const began = Date.now();
      for (;;) {
        try {
          await read();
          break;
        } catch (failure) {
          if (Date.now() - began >= FIRST_READ_LIMIT_MS)
            throw new Error(`stand-in could not read its card rules for ${FIRST_READ_LIMIT_MS / 1000} s: ${(failure as Error).message}`);
          deps.logger.warn({ err: failure }, 'stand-in could not read its card rules yet; trying again before taking card payments');
          await sleep(1_000);
        }
      }
      timer = setInterval(
        () => void read().catch((failure: unknown) => deps.logger.warn({ err: failure }, 'stand-in could not read its card rules; the rules in force stay')),
        deps.refreshMs,
      );
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
    },
    /** A document made or adopted through this replica: in force here at once, if it is not older than what is. */
    adopt: take,
    current: (): StandinRules => held?.rules ?? DEFAULT_STANDIN_RULES,
  };
}
