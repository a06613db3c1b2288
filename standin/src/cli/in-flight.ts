import {
  DAILY_COHORT_COMPONENTS,
  PAYMENT_COMPONENT_NAMES,
  StandinComponent,
  onStandin,
  userBucket,
  type AdvicesInFlight,
  type AdvicesInFlightReport,
  type ConfigurationDocument,
  type Targeting,
} from '@bank/shared-contracts';
import { COMPONENT_LABEL, type ChangeSpec } from './change-plan';

// Moving users back to primary while stand-in's effects for them are still on their way there
// lets primary decide without them: a card frozen in stand-in is still open on primary, a balance
// misses stand-in's payments. Every change is checked, whatever the command (disable, roll-back,
// a smaller route-payments or redirect-apps target, a smaller cohort, direct connection off): who
// stand-in served before it and does not after it, against stand-in's advices in flight per user.

const isPayment = (component: StandinComponent) => (PAYMENT_COMPONENT_NAMES as readonly StandinComponent[]).includes(component);
const coversEveryone = (targeting: Targeting) => targeting.mode === 'everyone' || (targeting.mode === 'percent' && targeting.percent === 100);

/** The document a change would make, before it is made (version and audit fields stay the base's). */
export function prospectiveConfiguration(base: ConfigurationDocument, spec: ChangeSpec): ConfigurationDocument {
  return {
    ...base,
    components: { ...base.components, ...spec.components },
    prescale: spec.prescale ?? base.prescale,
    directConnect: spec.directConnect ?? base.directConnect,
    shadow: spec.shadow ?? base.shadow,
    dailyCohort: spec.dailyCohort ?? base.dailyCohort,
    standinRules: spec.standinRules ?? base.standinRules,
  };
}

/** Whether stand-in serves this user's component: its targeting, today's cohort, or (payments) the gateway's direct connection. */
export function servedByStandin(document: ConfigurationDocument, component: StandinComponent, userId: string, now: Date): boolean {
  return (isPayment(component) && document.directConnect) || onStandin(document, component, userId, now);
}

/** The components a change takes from stand-in back to primary for this user. */
export function componentsMovedBack(before: ConfigurationDocument, after: ConfigurationDocument, userId: string, now: Date): StandinComponent[] {
  return StandinComponent.options.filter((component) => servedByStandin(before, component, userId, now) && !servedByStandin(after, component, userId, now));
}

/** Every user `inner` covers, `outer` covers too. */
function targetingWithin(inner: Targeting, outer: Targeting): boolean {
  if (inner.mode === 'nobody' || coversEveryone(outer)) return true;
  if (outer.mode === 'nobody') return false;
  switch (inner.mode) {
    case 'everyone':
      return false;
    case 'percent':
      return outer.mode === 'percent' && inner.percent <= outer.percent;
    case 'users':
      if (outer.mode === 'percent') return inner.userIds.every((user) => userBucket(user) < outer.percent);
      return outer.mode === 'users' && inner.userIds.every((user) => outer.userIds.includes(user));
  }
}

/**
 * Whether the change can move anyone back at all, without knowing who the users are: false only
 * when, for every component, whoever stand-in served before it still serves after. When stand-in
 * cannot say who has effects in flight, this decides whether that matters.
 */
export function mayMoveAnyoneBack(before: ConfigurationDocument, after: ConfigurationDocument): boolean {
  return StandinComponent.options.some((component) => {
    if ((isPayment(component) && after.directConnect) || coversEveryone(after.components[component])) return false;
    if (isPayment(component) && before.directConnect) return true;
    if (DAILY_COHORT_COMPONENTS.includes(component) && after.dailyCohort.percent < before.dailyCohort.percent) return true;
    return !targetingWithin(before.components[component], after.components[component]);
  });
}

export type InFlightCheck =
  /** Nobody this change moves back has an effect primary has not applied (or it moves nobody back). */
  | { readonly state: 'clear'; readonly total?: AdvicesInFlight }
  | {
      readonly state: 'in_flight';
      /** Users this change moves back who have advices primary has not applied, and theirs. */
      readonly users: number;
      readonly notPublished: number;
      readonly publishedNotApplied: number;
      /** How long ago the oldest of theirs was recorded (stand-in's clock). */
      readonly oldestAgeMs: number;
      /** The first few of them, oldest effect first. */
      readonly examples: readonly string[];
      /** What they move back for. */
      readonly components: readonly StandinComponent[];
      /** Everyone's advices in flight, those users' and others'. */
      readonly total: AdvicesInFlight;
    }
  /** The change may move users back and stand-in could not say whose effects are in flight. */
  | { readonly state: 'unknown'; readonly reason: string };

const EXAMPLES = 5;

/**
 * The users a change moves back, against stand-in's advices in flight. `report` is what stand-in
 * answered, or why it could not be asked.
 */
export function checkInFlight(
  before: ConfigurationDocument,
  after: ConfigurationDocument,
  report: AdvicesInFlightReport | { readonly unavailable: string },
  now: Date,
): InFlightCheck {
  if (!mayMoveAnyoneBack(before, after)) return { state: 'clear' };
  if ('unavailable' in report) return { state: 'unknown', reason: report.unavailable };
  const moved = report.byUser
    .map((user) => ({ user, components: componentsMovedBack(before, after, user.userId, now) }))
    .filter((entry) => entry.components.length > 0 && entry.user.notPublished + entry.user.publishedNotApplied > 0);
  if (moved.length === 0) return { state: 'clear', total: report.total };
  const checkedAt = Date.parse(report.checkedAt);
  const oldest = Math.min(...moved.map((entry) => Date.parse(entry.user.oldestAt)));
  return {
    state: 'in_flight',
    users: moved.length,
    notPublished: moved.reduce((sum, entry) => sum + entry.user.notPublished, 0),
    publishedNotApplied: moved.reduce((sum, entry) => sum + entry.user.publishedNotApplied, 0),
    oldestAgeMs: Math.max(0, checkedAt - oldest),
    examples: [...moved]
      .sort((a, b) => Date.parse(a.user.oldestAt) - Date.parse(b.user.oldestAt))
      .slice(0, EXAMPLES)
      .map((entry) => entry.user.userId),
    components: StandinComponent.options.filter((component) => moved.some((entry) => entry.components.includes(component))),
    total: report.total,
  };
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** 4m 12s, 2h 05m, 800 ms: how old, at a glance. */
export function describeAge(ms: number): string {
  if (ms < 1_000) return `${ms} ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** The split of advices in flight, in words. */
export function describeAdvices(figures: { notPublished: number; publishedNotApplied: number }): string {
  return `${plural(figures.notPublished, 'advice')} not yet published, ${plural(figures.publishedNotApplied, 'advice')} published but not yet applied by primary`;
}

/** What the engineer reads before a change that moves users back with effects in flight; undefined when there is nothing to say. */
export function describeInFlight(check: InFlightCheck): string | undefined {
  if (check.state === 'clear') return undefined;
  if (check.state === 'unknown') {
    return [
      `EFFECTS IN FLIGHT UNKNOWN: this change moves users back to primary, and stand-in's advice log could not be read (${check.reason}).`,
      '  Whether primary has applied everything stand-in did for them (payments, transfers, card freezes) cannot be checked.',
    ].join('\n');
  }
  const more = check.users > check.examples.length ? `, and ${check.users - check.examples.length} more` : '';
  return [
    `EFFECTS IN FLIGHT: ${plural(check.users, 'user')} this change moves back to primary (${check.components.map((component) => COMPONENT_LABEL[component]).join(', ')}) ${check.users === 1 ? 'has' : 'have'} effects from stand-in that primary has NOT applied yet:`,
    `  ${describeAdvices(check)}; the oldest recorded ${describeAge(check.oldestAgeMs)} ago.`,
    `  Users: ${check.examples.join(', ')}${more}.`,
    "  Primary would decide for them without those effects: a card frozen in stand-in is still open on primary, a balance misses stand-in's payments.",
    `  In all, ${plural(check.total.users, 'user')} ${check.total.users === 1 ? 'has' : 'have'} advices in flight (${describeAdvices(check.total)}).`,
    "  Stand-in counts an advice applied once primary's event for it has synced back: if its sync is behind, some may be applied already.",
    '  Better: wait until `standin status` shows none in flight (is the advice consumer running? Pub/Sub?), then run this again.',
  ].join('\n');
}
