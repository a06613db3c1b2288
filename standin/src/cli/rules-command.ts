import {
  DEFAULT_STANDIN_RULES,
  MerchantCategoryCode,
  STANDIN_CHANNEL_NAMES,
  StandinChannel,
  StandinRules,
  Uuid,
  type StandinKindRule,
  type StalenessStep,
} from '@bank/shared-contracts';
import { CliError, usageError } from './cli-error';
import type { PlatformClient } from './platform-client';
import { pounds } from './money-text';

// `standin rules …`: stand-in's card rules, read and changed in the configuration document (so
// every change is versioned, audited and reaches both platforms like any other). Each command
// edits the rules in force into a whole new rule set; the server checks it again on the way in.

export interface RulesOptions {
  readonly channel?: string;
  readonly mcc?: string;
  readonly description?: string;
  readonly 'max-per-payment'?: string;
  readonly 'max-per-day'?: string;
  readonly 'since-heard'?: string;
  readonly 'max-count'?: string;
  readonly 'max-amount'?: string;
  readonly block?: boolean;
  readonly allow?: boolean;
  readonly clear?: boolean;
  readonly schedule?: string;
}

export const RULES_HELP = `  standin rules show                          stand-in's card rules in force (limits, channels, categories, blocked cards, staleness)
  standin rules set [--channel <c> | --mcc <nnnn> [--description <words>]] [--max-per-payment <pence>|none]
                    [--block | --allow | --clear]
                                              a limit per payment (in pence) in general, per channel (chip, contactless,
                                              magstripe, ecommerce, manual, atm) or per merchant category; --block approves
                                              nothing of that kind in stand-in, --allow lifts the block, --clear removes the rule
  standin rules set --max-per-day <pence>     the limit per account per day
  standin rules set --since-heard purchases|cash [--max-count N|none] [--max-amount <pence>|none]
                                              what stand-in may approve on a card since primary was last heard from about it
  standin rules staleness --schedule <minutes>:<percent>,...   e.g. 1440:50,10080:25: amount limits at 50% for
                                              synced data over a day old, 25% over a week (--schedule none: no schedule)
  standin rules block-card <card id> | unblock-card <card id>
                                              block-card first shows which card the id is (last four digits,
                                              status); an id stand-in does not know asks first (--yes)
  standin rules reset                         back to the default rules`;

/** A whole number of pence, or `none` (undefined) where a limit may be absent. */
function pence(flag: string, raw: string, mayBeNone: boolean): number | undefined {
  if (mayBeNone && raw === 'none') return undefined;
  if (!/^\d{1,12}$/.test(raw)) throw usageError(`--${flag} ${raw}: expected a whole number of pence, e.g. 10000 for £100.00${mayBeNone ? ', or none' : ''}`);
  return Number(raw);
}

function count(raw: string): number | undefined {
  if (raw === 'none') return undefined;
  if (!/^\d{1,6}$/.test(raw) || Number(raw) > 100_000) throw usageError(`--max-count ${raw}: expected a whole number from 0 to 100000, or none`);
  return Number(raw);
}

const withoutUndefined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

function editKindRule(current: StandinKindRule | undefined, options: RulesOptions): StandinKindRule | undefined {
  const actions = [options.block && '--block', options.allow && '--allow', options.clear && '--clear'].filter(Boolean);
  if (actions.length > 1) throw usageError(`say one of --block, --allow or --clear (got ${actions.join(' and ')})`);
  if (options.clear) {
    if (options['max-per-payment'] !== undefined || options.description !== undefined)
      throw usageError('--clear removes the whole rule: give nothing else with it');
    return undefined;
  }
  if (!options.block && !options.allow && options['max-per-payment'] === undefined && options.description === undefined)
    throw usageError('say what to set for it: --max-per-payment <pence>|none, --block, --allow, --clear or --description');
  const maxPerPaymentMinor =
    options['max-per-payment'] === undefined ? current?.maxPerPaymentMinor : pence('max-per-payment', options['max-per-payment'], true);
  return withoutUndefined({
    blocked: options.block ? true : options.allow ? false : (current?.blocked ?? false),
    maxPerPaymentMinor,
    description: options.description?.trim() || current?.description,
  });
}

/** `standin rules set …` applied to the rules in force. */
export function setRules(current: StandinRules, options: RulesOptions): StandinRules {
  const scopes = [
    options.channel !== undefined && '--channel',
    options.mcc !== undefined && '--mcc',
    options['since-heard'] !== undefined && '--since-heard',
  ].filter(Boolean);
  if (scopes.length > 1) throw usageError(`say one of --channel, --mcc or --since-heard (got ${scopes.join(' and ')})`);
  // A flag that does not belong to the scope is refused, never silently dropped.
  const given = (names: readonly (keyof RulesOptions)[]) =>
    names.filter((name) => options[name] !== undefined && options[name] !== false).map((name) => `--${name}`);
  const foreign =
    options.channel !== undefined || options.mcc !== undefined
      ? given(['max-count', 'max-amount', 'schedule'])
      : options['since-heard'] !== undefined
        ? given(['max-per-payment', 'max-per-day', 'block', 'allow', 'clear', 'description', 'schedule'])
        : given(['schedule']);
  if (foreign.length > 0) throw usageError(`${foreign.join(', ')} cannot go with ${scopes[0] ?? 'the general limits'}: see standin --help`);
  if (options.channel !== undefined) {
    const channel = StandinChannel.safeParse(options.channel);
    if (!channel.success) throw usageError(`--channel ${options.channel}: expected chip, contactless, magstripe, ecommerce, manual or atm`);
    if (options['max-per-day'] !== undefined) throw usageError('--max-per-day is per account, not per channel: give it without --channel');
    const { [channel.data]: previous, ...others } = current.channels;
    const next = editKindRule(previous, options);
    return { ...current, channels: next ? { ...others, [channel.data]: next } : others };
  }
  if (options.mcc !== undefined) {
    if (!MerchantCategoryCode.safeParse(options.mcc).success) throw usageError(`--mcc ${options.mcc}: expected a 4-digit merchant category code, e.g. 7995`);
    if (options['max-per-day'] !== undefined) throw usageError('--max-per-day is per account, not per category: give it without --mcc');
    const { [options.mcc]: previous, ...others } = current.merchantCategories;
    const next = editKindRule(previous, options);
    return { ...current, merchantCategories: next ? { ...others, [options.mcc]: next } : others };
  }
  if (options.block || options.allow || options.clear || options.description !== undefined)
    throw usageError('--block, --allow, --clear and --description are for a --channel or an --mcc');
  if (options['since-heard'] !== undefined) {
    const kind = options['since-heard'];
    if (kind !== 'purchases' && kind !== 'cash') throw usageError(`--since-heard ${kind}: expected purchases or cash`);
    if (options['max-count'] === undefined && options['max-amount'] === undefined)
      throw usageError('--since-heard: say --max-count N|none and/or --max-amount <pence>|none');
    const previous = current.sinceLastHeard[kind];
    const next = withoutUndefined({
      maxCount: options['max-count'] === undefined ? previous.maxCount : count(options['max-count']),
      maxAmountMinor: options['max-amount'] === undefined ? previous.maxAmountMinor : pence('max-amount', options['max-amount'], true),
    });
    return { ...current, sinceLastHeard: { ...current.sinceLastHeard, [kind]: next } };
  }
  if (options['max-count'] !== undefined || options['max-amount'] !== undefined)
    throw usageError('--max-count and --max-amount go with --since-heard purchases|cash');
  if (options['max-per-payment'] === undefined && options['max-per-day'] === undefined)
    throw usageError('standin rules set: say what to change; see standin --help');
  return {
    ...current,
    maxPerPaymentMinor: options['max-per-payment'] === undefined ? current.maxPerPaymentMinor : pence('max-per-payment', options['max-per-payment'], false)!,
    maxPerAccountPerDayMinor: options['max-per-day'] === undefined ? current.maxPerAccountPerDayMinor : pence('max-per-day', options['max-per-day'], false)!,
  };
}

/** `--schedule 1440:50,10080:25`, or `none`. */
export function stalenessSchedule(raw: string | undefined): StalenessStep[] {
  if (raw === undefined) throw usageError('standin rules staleness: give --schedule <minutes>:<percent>,... (e.g. 1440:50,10080:25) or --schedule none');
  if (raw === 'none') return [];
  const steps = raw.split(',').map((part) => {
    const match = /^(\d{1,6}):(\d{1,3})$/.exec(part.trim());
    if (!match) throw usageError(`--schedule: "${part}" is not <minutes>:<percent>, e.g. 1440:50`);
    return { olderThanMinutes: Number(match[1]), limitPercent: Number(match[2]) };
  });
  const checked = StandinRules.shape.staleness.safeParse(steps);
  if (!checked.success) throw usageError(`--schedule ${raw}: ${checked.error.issues.map((issue) => issue.message).join('; ')}`);
  return checked.data;
}

/** The card id of block-card and unblock-card, checked before anything is asked or sent. */
export function cardIdArgument(cardId: string | undefined): string {
  const id = Uuid.safeParse(cardId ?? '');
  if (!id.success) throw usageError(`expected a card id (a UUID, as primary's API and the card's events name it; never a card number)`);
  return id.data.toLowerCase();
}

export function blockCard(current: StandinRules, cardId: string, blocked: boolean): StandinRules {
  const others = current.blockedCards.filter((card) => card !== cardId);
  return { ...current, blockedCards: blocked ? [...others, cardId] : others };
}

/**
 * Which card an id is, as stand-in knows it, before it is blocked: a line to show the engineer, or
 * a warning to confirm when stand-in does not know it (a mistyped id would block nothing, silently)
 * or cannot be asked.
 */
export async function cardToBlock(standin: Pick<PlatformClient, 'card'>, cardId: string): Promise<{ note: string } | { warning: string }> {
  try {
    const card = await standin.card(cardId);
    if (card.known) return { note: `card ${cardId}: ending ${card.last4}, expiry ${card.expiry}, ${card.status} as stand-in sees it` };
    return {
      warning: `stand-in does not know card ${cardId}: the block stops nothing unless that card reaches stand-in later. Check the id (a card id from primary, never a card number).`,
    };
  } catch (failure) {
    if (failure instanceof CliError && failure.code === 'OPERATOR_TOKEN_REFUSED') throw failure;
    return { warning: `stand-in could not say which card ${cardId} is (${(failure as Error).message}): check the id before blocking it.` };
  }
}

export const defaultRules = (): StandinRules => DEFAULT_STANDIN_RULES;

const kindText = (rule: StandinKindRule) =>
  rule.blocked ? 'BLOCKED: nothing approved' : rule.maxPerPaymentMinor === undefined ? 'general limits' : `${pounds(rule.maxPerPaymentMinor)} per payment`;
const sinceText = (limit: StandinRules['sinceLastHeard']['cash']) =>
  limit.maxCount === undefined && limit.maxAmountMinor === undefined
    ? 'no limit'
    : [limit.maxCount === undefined ? undefined : `${limit.maxCount} approvals`, limit.maxAmountMinor === undefined ? undefined : pounds(limit.maxAmountMinor)]
        .filter(Boolean)
        .join(', ');
const stalenessText = (steps: readonly StalenessStep[]) =>
  steps.length === 0
    ? 'none: limits whatever the age of the data'
    : steps.map((step) => `over ${describeMinutes(step.olderThanMinutes)} old: ${step.limitPercent}%`).join('; ');

function describeMinutes(minutes: number): string {
  if (minutes % 1_440 === 0) return `${minutes / 1_440} day${minutes === 1_440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/** The rules as an engineer reads them. */
export function renderRules(rules: StandinRules, version: number): string {
  const lines = [
    `stand-in's card rules (configuration version ${version}):`,
    `  per payment                ${pounds(rules.maxPerPaymentMinor)}`,
    `  per account per day        ${pounds(rules.maxPerAccountPerDayMinor)}`,
    `  since primary last heard   purchases: ${sinceText(rules.sinceLastHeard.purchases)}; cash: ${sinceText(rules.sinceLastHeard.cash)} (per card)`,
    `  staleness                  ${stalenessText(rules.staleness)}`,
  ];
  const channels = Object.entries(rules.channels) as [StandinChannel, StandinKindRule][];
  lines.push(`  channels                   ${channels.length === 0 ? 'no rules' : ''}`.trimEnd());
  for (const [channel, rule] of channels) lines.push(`    ${STANDIN_CHANNEL_NAMES[channel].padEnd(24)}${kindText(rule)}`);
  const categories = Object.entries(rules.merchantCategories);
  lines.push(`  merchant categories        ${categories.length === 0 ? 'no rules' : ''}`.trimEnd());
  for (const [mcc, rule] of categories) lines.push(`    ${`${mcc}${rule.description ? ` ${rule.description}` : ''}`.padEnd(24)}${kindText(rule)}`);
  lines.push(`  blocked cards              ${rules.blockedCards.length === 0 ? 'none' : rules.blockedCards.join(', ')}`);
  return lines.join('\n');
}

/** A limit that may be absent (no limit): whether `after` allows more than `before`. */
const raises = (before: number | undefined, after: number | undefined) => (after === undefined ? before !== undefined : before !== undefined && after > before);

/** The share a schedule gives data of this age (undefined: unknown age, the last step). */
function shareAt(steps: readonly StalenessStep[], ageMinutes: number | undefined): number {
  if (ageMinutes === undefined) return steps.at(-1)?.limitPercent ?? 100;
  let share = 100;
  for (const step of steps) if (ageMinutes > step.olderThanMinutes) share = step.limitPercent;
  return share;
}

/** Whether a schedule allows more than another at any age (each step's edge, just past it, and unknown). */
function stalenessLoosens(before: readonly StalenessStep[], after: readonly StalenessStep[]): boolean {
  const ages = [0, ...[...before, ...after].flatMap((step) => [step.olderThanMinutes, step.olderThanMinutes + 1]), undefined];
  return ages.some((age) => shareAt(after, age) > shareAt(before, age));
}

const kindLoosens = (before: StandinKindRule | undefined, after: StandinKindRule | undefined) =>
  (before?.blocked === true && after?.blocked !== true) || raises(before?.maxPerPaymentMinor, after?.maxPerPaymentMinor);

/**
 * What changed between two rule sets, one line each, for the change's confirmation and output.
 * `loosens`: it lets stand-in approve something it declined before, for every customer it serves:
 * confirmed like any change that touches everyone (a lifted block at 3 a.m. in the wrong terminal).
 */
export function ruleDifferences(before: StandinRules, after: StandinRules): { what: string; from: string; to: string; loosens: boolean }[] {
  const found: { what: string; from: string; to: string; loosens: boolean }[] = [];
  const add = (what: string, from: string, to: string, loosens: boolean) => {
    if (from !== to || loosens) found.push({ what, from, to, loosens });
  };
  add('rule: per payment', pounds(before.maxPerPaymentMinor), pounds(after.maxPerPaymentMinor), after.maxPerPaymentMinor > before.maxPerPaymentMinor);
  add(
    'rule: per account per day',
    pounds(before.maxPerAccountPerDayMinor),
    pounds(after.maxPerAccountPerDayMinor),
    after.maxPerAccountPerDayMinor > before.maxPerAccountPerDayMinor,
  );
  for (const kind of ['purchases', 'cash'] as const) {
    const [from, to] = [before.sinceLastHeard[kind], after.sinceLastHeard[kind]];
    add(`rule: ${kind} since last heard`, sinceText(from), sinceText(to), raises(from.maxCount, to.maxCount) || raises(from.maxAmountMinor, to.maxAmountMinor));
  }
  add('rule: staleness', stalenessText(before.staleness), stalenessText(after.staleness), stalenessLoosens(before.staleness, after.staleness));
  for (const channel of StandinChannel.options) {
    const [from, to] = [before.channels[channel], after.channels[channel]];
    add(`rule: ${STANDIN_CHANNEL_NAMES[channel]}`, from ? kindText(from) : 'no rule', to ? kindText(to) : 'no rule', kindLoosens(from, to));
  }
  for (const mcc of [...new Set([...Object.keys(before.merchantCategories), ...Object.keys(after.merchantCategories)])].sort()) {
    const [from, to] = [before.merchantCategories[mcc], after.merchantCategories[mcc]];
    const text = (rule: StandinKindRule | undefined) => (rule ? `${kindText(rule)}${rule.description ? ` (${rule.description})` : ''}` : 'no rule');
    add(`rule: MCC ${mcc}`, text(from), text(to), kindLoosens(from, to));
  }
  const blocked = (cards: readonly string[]) => (cards.length === 0 ? 'no cards blocked' : `${cards.length} card(s) blocked`);
  if (JSON.stringify(before.blockedCards) !== JSON.stringify(after.blockedCards))
    found.push({
      what: 'rule: blocked cards',
      from: blocked(before.blockedCards),
      to: blocked(after.blockedCards),
      loosens: before.blockedCards.some((card) => !after.blockedCards.includes(card)),
    });
  return found;
}
