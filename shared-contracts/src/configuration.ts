import { createHash } from 'node:crypto';
import { z } from 'zod';
import { storableText, Timestamp, Uuid } from './primitives';
import { DEFAULT_STANDIN_RULES, StandinRules } from './standin-rules';

// The stand-in configuration document: the same in primary's and stand-in's configuration
// services. Every change produces a new, higher version; a write based on a stale version is
// rejected, so the two services converge on the highest version without merging.

export const UserId = z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, { error: 'expected a user id of 1 to 64 letters, digits, _ or -' });

/** Who a stand-in component is enabled for. */
export const Targeting = z.discriminatedUnion(
  'mode',
  [
    z.strictObject({ mode: z.literal('nobody') }),
    z.strictObject({ mode: z.literal('everyone') }),
    z.strictObject({
      mode: z.literal('users'),
      userIds: z.array(UserId).min(1, { error: 'expected at least one user id' }).max(10_000, { error: 'expected at most 10,000 user ids; use a percentage' }),
    }),
    z.strictObject({
      mode: z.literal('percent'),
      /** Users whose stable hash bucket (0-99) is below this are enabled. */
      percent: z.int().min(0).max(100, { error: 'expected a percentage from 0 to 100' }),
    }),
  ],
  { error: 'expected targeting with mode nobody, everyone, users or percent' },
);
export type Targeting = z.infer<typeof Targeting>;

export const StandinComponent = z.enum(['cardPaymentsInbound', 'cardPaymentsOutbound', 'fasterPaymentsInbound', 'fasterPaymentsOutbound', 'app']);
export type StandinComponent = z.infer<typeof StandinComponent>;

const Percent = z.int().min(0).max(100, { error: 'expected a percentage from 0 to 100' });
export const ShadowSetting = z.strictObject({ percent: Percent });
export const DailyCohortSetting = z.strictObject({ percent: Percent });

export const ConfigurationDocument = z.strictObject({
  version: z.int().min(0, { error: 'expected a non-negative version' }),
  updatedAt: Timestamp,
  updatedBy: storableText(z.string().min(1).max(100)),
  reason: storableText(z.string().min(1, { error: 'expected a reason for the change' }).max(500)),
  /**
   * Direction is the money's, seen from the customer's account (see PAYMENT_DIRECTIONS): card
   * outbound = spending (authorisations and their reversals, purchases and cash), card inbound =
   * refund authorisations; Faster Payments inbound = credits from the scheme, outbound = sends.
   */
  components: z.strictObject({
    cardPaymentsInbound: Targeting,
    cardPaymentsOutbound: Targeting,
    fasterPaymentsInbound: Targeting,
    fasterPaymentsOutbound: Targeting,
    app: Targeting,
  }),
  /** Scale stand-in up ahead of enabling it. */
  prescale: z.boolean(),
  /** The data-centre gateway sends payment traffic straight to stand-in, bypassing primary. */
  directConnect: z.boolean(),
  /**
   * Shadow decisioning: this share of the card messages primary decides is copied to stand-in
   * after primary has answered, for stand-in to decide without effect. Documents written before
   * it existed read as 0.
   */
  shadow: ShadowSetting.default({ percent: 0 }),
  /**
   * The always-on cohort: this share of users, chosen afresh each day by a hash of the user id and
   * the date (see dailyCohortBucket), is on stand-in for card spending and the app, on top of the
   * components' own targeting. 0 for documents written before it existed.
   */
  dailyCohort: DailyCohortSetting.default({ percent: 0 }),
  /** Stand-in's card rules (standin-rules.ts); the defaults for documents written before they existed. */
  standinRules: StandinRules.default(DEFAULT_STANDIN_RULES),
});
export type ConfigurationDocument = z.infer<typeof ConfigurationDocument>;

/** A change request: the version it was based on must still be current, or it is rejected. */
export const ConfigurationChange = z.strictObject({
  basedOnVersion: z.int().min(0),
  reason: storableText(z.string().min(1, { error: 'expected a reason for the change' }).max(500)),
  components: ConfigurationDocument.shape.components.partial().optional(),
  prescale: z.boolean().optional(),
  directConnect: z.boolean().optional(),
  shadow: ShadowSetting.optional(),
  dailyCohort: DailyCohortSetting.optional(),
  /** The whole new rule set: the CLI edits the current one and sends it all, so nothing is merged. */
  standinRules: StandinRules.optional(),
});
export type ConfigurationChange = z.infer<typeof ConfigurationChange>;

/** Which stand-in component each kind of payment belongs to; the CLI's --scheme and --direction name these. */
export const PAYMENT_COMPONENTS = {
  card: { inbound: 'cardPaymentsInbound', outbound: 'cardPaymentsOutbound' },
  fps: { inbound: 'fasterPaymentsInbound', outbound: 'fasterPaymentsOutbound' },
} as const satisfies Record<'card' | 'fps', Record<'inbound' | 'outbound', StandinComponent>>;

export const PAYMENT_COMPONENT_NAMES = [
  'cardPaymentsInbound',
  'cardPaymentsOutbound',
  'fasterPaymentsInbound',
  'fasterPaymentsOutbound',
] as const satisfies readonly StandinComponent[];

/**
 * The document both platforms start from. Identical bytes on both sides, so two fresh platforms
 * agree before anyone has changed anything.
 */
export const INITIAL_CONFIGURATION: Readonly<ConfigurationDocument> = {
  version: 0,
  updatedAt: '1970-01-01T00:00:00.000Z',
  updatedBy: 'initial',
  reason: 'initial configuration: stand-in off for everyone',
  components: {
    cardPaymentsInbound: { mode: 'nobody' },
    cardPaymentsOutbound: { mode: 'nobody' },
    fasterPaymentsInbound: { mode: 'nobody' },
    fasterPaymentsOutbound: { mode: 'nobody' },
    app: { mode: 'nobody' },
  },
  prescale: false,
  directConnect: false,
  shadow: { percent: 0 },
  dailyCohort: { percent: 0 },
  standinRules: DEFAULT_STANDIN_RULES,
};

/**
 * A user's stable bucket, 0 to 99: the first four bytes of SHA-256 of the user id. Both platforms
 * use this one definition, so "percent: 10" means the same users on each side, and raising the
 * percentage only ever adds users.
 */
export function userBucket(userId: string): number {
  return createHash('sha256').update(userId, 'utf8').digest().readUInt32BE(0) % 100;
}

/** Whether a targeting rule covers this user. Without a user only `everyone` does. */
export function isTargeted(targeting: Targeting, userId: string | undefined): boolean {
  switch (targeting.mode) {
    case 'nobody':
      return false;
    case 'everyone':
      return true;
    case 'users':
      return userId !== undefined && targeting.userIds.includes(userId);
    case 'percent':
      return userId !== undefined && userBucket(userId) < targeting.percent;
  }
}

/** The day a cohort belongs to: the calendar date in London, where the bank's day turns. */
export function cohortDay(now: Date): string {
  return LONDON_DATE.format(now);
}

// Built once: a formatter costs tens of microseconds, and this runs on the card path while a cohort is on.
const LONDON_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * A user's bucket for one day's cohort, 0 to 99: SHA-256 of the day and the user id. A different
 * day gives an unrelated bucket, so the cohort rotates at midnight; the same day gives the same
 * bucket on both platforms.
 */
export function dailyCohortBucket(userId: string, day: string): number {
  return createHash('sha256').update(`${day}:${userId}`, 'utf8').digest().readUInt32BE(0) % 100;
}

/** Whether this user is in today's always-on cohort (card spending and app on stand-in). */
export function inDailyCohort(document: Pick<ConfigurationDocument, 'dailyCohort'>, userId: string | undefined, now: Date): boolean {
  return userId !== undefined && document.dailyCohort.percent > 0 && dailyCohortBucket(userId, cohortDay(now)) < document.dailyCohort.percent;
}

/** Stand-in's view of today's cohort (operator token): the customers it knows who are in it. */
export const DAILY_COHORT_ROUTE = '/configuration/cohort';

/** The most members one page of the cohort list holds. */
export const DAILY_COHORT_PAGE_MAX = 1_000;

/**
 * The cohort list in pages (no answer is unbounded): at most `limit` members, in customer id
 * order, after `after` (the previous page's `next`).
 */
export const DailyCohortQuery = z.strictObject({
  limit: z.coerce
    .number({ error: 'expected a number' })
    .int()
    .min(1, { error: 'expected at least 1' })
    .max(DAILY_COHORT_PAGE_MAX, { error: `expected at most ${DAILY_COHORT_PAGE_MAX}` })
    .default(DAILY_COHORT_PAGE_MAX),
  after: Uuid.optional(),
});
export type DailyCohortQuery = z.infer<typeof DailyCohortQuery>;

export const DailyCohortMembers = z.strictObject({
  /** The cohort's day (Europe/London) and the percentage in force. */
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  percent: z.int().min(0).max(100),
  /** Customers stand-in knows (synced from primary). */
  customersKnown: z.int().min(0),
  /** Those of them in today's cohort, by customer id: this page's. */
  members: z.array(z.string()),
  /**
   * Where the next page starts (pass it as `after`); absent on the last page. A page can hold
   * fewer than `limit` members and still have a `next`: each page looks through a bounded number
   * of customers.
   */
  next: Uuid.optional(),
});
export type DailyCohortMembers = z.infer<typeof DailyCohortMembers>;

/**
 * The components the daily cohort moves to stand-in: card spending and the app. Not refunds
 * (card inbound): stand-in declines them by design, so the cohort would decline real refunds.
 */
export const DAILY_COHORT_COMPONENTS: readonly StandinComponent[] = ['cardPaymentsOutbound', 'app'];

/** Whether a component is on stand-in for this user: its targeting, or today's cohort. */
export function onStandin(document: ConfigurationDocument, component: StandinComponent, userId: string | undefined, now: Date): boolean {
  return isTargeted(document.components[component], userId) || (DAILY_COHORT_COMPONENTS.includes(component) && inDailyCohort(document, userId, now));
}

/** Two documents say the same thing (same version and the same content). */
export function sameConfiguration(a: ConfigurationDocument, b: ConfigurationDocument): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The configuration API, the same on both platforms.
 * - GET  current: the document (operator or internal token).
 * - POST changes: a ConfigurationChange (operator token only); 409 CONFIGURATION_STALE if its
 *   basedOnVersion is not the current version; answers the new document.
 * - POST adopt: a whole ConfigurationDocument from the other platform (operator or internal
 *   token); taken only if its version is higher, so a platform back from an outage catches up and
 *   nothing is merged. Answers an AdoptResult.
 * - GET  audit: every version this platform has held, newest first (operator token).
 */
export const CONFIGURATION_ROUTES = {
  current: '/configuration',
  changes: '/configuration/changes',
  adopt: '/configuration/adopt',
  audit: '/configuration/audit',
} as const;

export const AdoptResult = z.strictObject({
  adopted: z.boolean(),
  /** Why not, when not: already at this version, or it holds a higher one. */
  reason: storableText(z.string()).optional(),
  current: ConfigurationDocument,
});
export type AdoptResult = z.infer<typeof AdoptResult>;

export const ConfigurationAuditEntry = z.strictObject({
  version: z.int().min(0),
  /** When this platform recorded it (the document's updatedAt is when it was decided). */
  recordedAt: Timestamp,
  /** `change`: made here by an operator; `adopted`: taken from the other platform. */
  source: z.enum(['change', 'adopted']),
  /** Who made the change here, or who sent the document to adopt. */
  recordedBy: storableText(z.string().min(1).max(100)),
  document: ConfigurationDocument,
});
export type ConfigurationAuditEntry = z.infer<typeof ConfigurationAuditEntry>;

export const ConfigurationAudit = z.strictObject({ entries: z.array(ConfigurationAuditEntry) });
export type ConfigurationAudit = z.infer<typeof ConfigurationAudit>;

/** The error codes of the configuration API, so a client can tell a stale write from a bad one. */
export const CONFIGURATION_ERROR_CODES = {
  stale: 'CONFIGURATION_STALE',
  operatorTokenRequired: 'CONFIGURATION_OPERATOR_TOKEN_REQUIRED',
  invalid: 'CONFIGURATION_INVALID',
} as const;
