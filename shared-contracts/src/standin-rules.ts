import { z } from 'zod';
import { NonNegativeAmountMinor, storableText, Uuid } from './primitives';

// Stand-in's card rules (issue 21), modelled on a card scheme's stand-in parameters: limits on
// what stand-in approves since primary was last heard from, a maximum per payment, rules per
// channel and per merchant category (including "approve nothing of this kind"), a list of blocked
// cards, and a schedule that tightens the amount limits as the account's synced data ages. They
// are part of the stand-in configuration document, so they are versioned, audited, the same on
// both platforms, and an engineer can tighten them mid-incident without a deploy. Only stand-in
// applies them (payments/standin-rules.ts there); primary keeps and passes them on.

/**
 * The channel a card payment came through: the POS entry mode; cash (transaction type 01) is also
 * `atm`, whatever the entry mode, and both channels' rules apply to it.
 */
export const StandinChannel = z.enum(['chip', 'contactless', 'magstripe', 'ecommerce', 'manual', 'atm'], {
  error: 'expected a channel: chip, contactless, magstripe, ecommerce, manual or atm',
});
export type StandinChannel = z.infer<typeof StandinChannel>;

export const STANDIN_CHANNEL_NAMES: Readonly<Record<StandinChannel, string>> = {
  chip: 'chip',
  contactless: 'contactless',
  magstripe: 'magnetic stripe',
  ecommerce: 'e-commerce',
  manual: 'manually keyed',
  atm: 'ATM cash',
};

export const MerchantCategoryCode = z.string().regex(/^\d{4}$/, { error: 'expected a 4-digit merchant category code (MCC)' });

/** A rule for one kind of payment (a channel or a merchant category). */
export const StandinKindRule = z.strictObject({
  /** Approve nothing of this kind in stand-in. */
  blocked: z.boolean().default(false),
  /** No single payment of this kind above this; absent: only the general per-payment limit. */
  maxPerPaymentMinor: NonNegativeAmountMinor.optional(),
  /** What the category is, for people reading declines: "gambling", "crypto exchanges". */
  description: storableText(z.string().trim().min(1).max(40)).optional(),
});
export type StandinKindRule = z.infer<typeof StandinKindRule>;

/**
 * What stand-in may approve on one card since primary was last heard from about its account (the
 * account's newest synced event): its approvals after that moment, counted and summed. When primary
 * comes back and its events arrive, the count starts again. Absent limits do not apply.
 */
export const SinceLastHeardLimit = z.strictObject({
  maxCount: z.int().min(0).max(100_000).optional(),
  maxAmountMinor: NonNegativeAmountMinor.optional(),
});
export type SinceLastHeardLimit = z.infer<typeof SinceLastHeardLimit>;

/** From this age of the account's synced data, stand-in's amount limits are this share of themselves. */
export const StalenessStep = z.strictObject({
  olderThanMinutes: z.int().min(1).max(525_600),
  limitPercent: z.int().min(0).max(100, { error: 'expected a percentage from 0 to 100' }),
});
export type StalenessStep = z.infer<typeof StalenessStep>;

export const MAX_BLOCKED_CARDS = 1_000;
export const MAX_MERCHANT_CATEGORY_RULES = 200;

export const StandinRules = z.strictObject({
  /** No single payment above this is approved in stand-in. */
  maxPerPaymentMinor: NonNegativeAmountMinor,
  /** Nor more than this per account per UTC day, all stand-in card payments together. */
  maxPerAccountPerDayMinor: NonNegativeAmountMinor,
  sinceLastHeard: z.strictObject({ purchases: SinceLastHeardLimit, cash: SinceLastHeardLimit }),
  channels: z.partialRecord(StandinChannel, StandinKindRule),
  merchantCategories: z.record(MerchantCategoryCode, StandinKindRule).refine((rules) => Object.keys(rules).length <= MAX_MERCHANT_CATEGORY_RULES, {
    error: `expected at most ${MAX_MERCHANT_CATEGORY_RULES} merchant category rules`,
  }),
  /** Cards (by card id, never a PAN) stand-in approves nothing on. */
  blockedCards: z.array(Uuid).max(MAX_BLOCKED_CARDS, { error: `expected at most ${MAX_BLOCKED_CARDS} blocked cards` }),
  /**
   * Ascending ages, never a larger share for older data; the last step the data is older than
   * applies (none: 100%), and data of unknown age gets the last (the smallest) share.
   */
  staleness: z
    .array(StalenessStep)
    .max(10)
    .refine((steps) => steps.every((step, index) => index === 0 || step.olderThanMinutes > steps[index - 1]!.olderThanMinutes), {
      error: 'expected the staleness steps in ascending order of age, each age once',
    })
    .refine((steps) => steps.every((step, index) => index === 0 || step.limitPercent <= steps[index - 1]!.limitPercent), {
      error: 'expected each older staleness step to allow no more than the one before it (older data is less certain)',
    }),
});
export type StandinRules = z.infer<typeof StandinRules>;

/**
 * The rules both platforms start from: the two limits stand-in has always had, no channel or
 * category rules, no counts since last heard (an issuer sets those for its products), and the
 * documented staleness schedule: an account primary has told stand-in nothing about for a day
 * gets half the amount limits, for a week a quarter, because stand-in is less sure of its balance.
 */
export const DEFAULT_STANDIN_RULES: StandinRules = {
  maxPerPaymentMinor: 50_000,
  maxPerAccountPerDayMinor: 150_000,
  sinceLastHeard: { purchases: {}, cash: {} },
  channels: {},
  merchantCategories: {},
  blockedCards: [],
  staleness: [
    { olderThanMinutes: 1_440, limitPercent: 50 },
    { olderThanMinutes: 10_080, limitPercent: 25 },
  ],
};
