import { PAYMENT_COMPONENTS, UserId, type ConfigurationDocument, type StandinComponent, type StandinRules, type Targeting } from '@bank/shared-contracts';
import { ruleDifferences } from './rules-command';
import { usageError } from './cli-error';

// What a command wants to change, and how that reads to the engineer confirming it.

export interface ChangeSpec {
  readonly components?: Partial<Record<StandinComponent, Targeting>>;
  readonly prescale?: boolean;
  readonly directConnect?: boolean;
  readonly shadow?: { readonly percent: number };
  readonly dailyCohort?: { readonly percent: number };
  /** The whole new rule set (rules-command.ts edits the one in force). */
  readonly standinRules?: StandinRules;
}

export const COMPONENT_LABEL: Record<StandinComponent, string> = {
  cardPaymentsOutbound: 'card spending (out)',
  cardPaymentsInbound: 'card refunds (in)',
  fasterPaymentsOutbound: 'Faster Payments out',
  fasterPaymentsInbound: 'Faster Payments in',
  app: 'app experience',
};

export function describeTargeting(targeting: Targeting): string {
  switch (targeting.mode) {
    case 'nobody':
      return 'nobody';
    case 'everyone':
      return 'EVERYONE';
    case 'percent':
      return targeting.percent === 100 ? '100% of users (EVERYONE)' : `${targeting.percent}% of users`;
    case 'users': {
      const shown = targeting.userIds.slice(0, 3).join(', ');
      return `${targeting.userIds.length} user${targeting.userIds.length === 1 ? '' : 's'} (${shown}${targeting.userIds.length > 3 ? ', …' : ''})`;
    }
  }
}

const coversEveryone = (targeting: Targeting) => targeting.mode === 'everyone' || (targeting.mode === 'percent' && targeting.percent === 100);

export interface Difference {
  readonly what: string;
  readonly from: string;
  readonly to: string;
  /** Moves every user one way or the other: needs confirmation. */
  readonly wide: boolean;
}

export function differences(base: ConfigurationDocument, spec: ChangeSpec): Difference[] {
  const found: Difference[] = [];
  for (const [component, targeting] of Object.entries(spec.components ?? {}) as [StandinComponent, Targeting][]) {
    const before = base.components[component];
    if (JSON.stringify(before) === JSON.stringify(targeting)) continue;
    found.push({
      what: COMPONENT_LABEL[component],
      from: describeTargeting(before),
      to: describeTargeting(targeting),
      wide: coversEveryone(before) || coversEveryone(targeting),
    });
  }
  if (spec.prescale !== undefined && spec.prescale !== base.prescale)
    found.push({ what: 'prescale', from: onOff(base.prescale), to: onOff(spec.prescale), wide: false });
  // The gateway then sends every payment to stand-in, or every payment back: always everyone.
  if (spec.directConnect !== undefined && spec.directConnect !== base.directConnect)
    found.push({ what: 'direct connection (gateway)', from: onOff(base.directConnect), to: onOff(spec.directConnect), wide: true });
  if (spec.shadow !== undefined && spec.shadow.percent !== base.shadow.percent)
    found.push({
      what: 'shadow decisioning',
      from: describeShare(base.shadow.percent, 'card messages'),
      to: describeShare(spec.shadow.percent, 'card messages'),
      wide: false,
    });
  // Moves a share of everyone's card payments, every day: confirmed like any everyone-wide change.
  if (spec.dailyCohort !== undefined && spec.dailyCohort.percent !== base.dailyCohort.percent)
    found.push({
      what: 'daily cohort',
      from: describeShare(base.dailyCohort.percent, 'users, daily'),
      to: describeShare(spec.dailyCohort.percent, 'users, daily'),
      wide: spec.dailyCohort.percent > base.dailyCohort.percent,
    });
  // Stand-in's rules move nobody, but loosening one lets stand-in approve, for everyone it serves,
  // what it declined before: that is confirmed like a change that touches every user; tightening is not.
  if (spec.standinRules !== undefined)
    for (const { loosens, ...difference } of ruleDifferences(base.standinRules, spec.standinRules)) found.push({ ...difference, wide: loosens });
  return found;
}

export const describeShare = (percent: number, of: string) => (percent === 0 ? 'off' : `${percent}% of ${of}`);

/** `--percent N` for shadow and cohort, or the word off. */
export function shareFromOptions(command: string, value: string | undefined, options: { percent?: string }): number {
  if (value === 'off' && options.percent === undefined) return 0;
  if (value !== undefined) throw usageError(`${command} ${value}: expected ${command} --percent <0-100> or ${command} off`);
  if (options.percent === undefined) throw usageError(`${command}: say how much with --percent <0-100>, or turn it off with ${command} off`);
  const percent = Number(options.percent);
  if (!/^\d{1,3}$/.test(options.percent) || percent > 100) throw usageError(`--percent ${options.percent}: expected a whole number from 0 to 100`);
  return percent;
}

const onOff = (value: boolean) => (value ? 'on' : 'off');

/** `--all`, `--users a,b`, `--percent N` or `--none`: exactly one. */
export function targetingFromOptions(options: { all?: boolean; users?: string; percent?: string; none?: boolean }): Targeting {
  const given = [
    options.all && '--all',
    options.users !== undefined && '--users',
    options.percent !== undefined && '--percent',
    options.none && '--none',
  ].filter(Boolean);
  if (given.length !== 1)
    throw usageError(
      `say who, with exactly one of --all, --users <id,id,…>, --percent <0-100> or --none${given.length ? ` (got ${given.join(' and ')})` : ''}`,
    );
  if (options.all) return { mode: 'everyone' };
  if (options.none) return { mode: 'nobody' };
  if (options.percent !== undefined) {
    const percent = Number(options.percent);
    if (!/^\d{1,3}$/.test(options.percent) || percent > 100) throw usageError(`--percent ${options.percent}: expected a whole number from 0 to 100`);
    return percent === 0 ? { mode: 'nobody' } : { mode: 'percent', percent };
  }
  const userIds = [
    ...new Set(
      (options.users ?? '')
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  ];
  if (userIds.length === 0) throw usageError('--users needs at least one user id, comma-separated');
  for (const id of userIds) if (!UserId.safeParse(id).success) throw usageError(`--users: "${id}" is not a user id (1 to 64 letters, digits, _ or -)`);
  return { mode: 'users', userIds };
}

/** `--scheme card|fps` and `--direction inbound|outbound`, each optional: both when left out. */
export function paymentComponents(options: { scheme?: string; direction?: string }): StandinComponent[] {
  const schemes = options.scheme === undefined ? (['card', 'fps'] as const) : [options.scheme];
  const directions = options.direction === undefined ? (['inbound', 'outbound'] as const) : [options.direction];
  for (const scheme of schemes) if (scheme !== 'card' && scheme !== 'fps') throw usageError(`--scheme ${scheme}: expected card or fps`);
  for (const direction of directions)
    if (direction !== 'inbound' && direction !== 'outbound')
      throw usageError(`--direction ${direction}: expected inbound (money in: refunds, credits) or outbound (money out: spending, sends)`);
  return schemes.flatMap((scheme) => directions.map((direction) => PAYMENT_COMPONENTS[scheme as 'card' | 'fps'][direction as 'inbound' | 'outbound']));
}
