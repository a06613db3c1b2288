import { z } from 'zod';
import { Timestamp } from './primitives';
import { UserId } from './configuration';

// GET /status on both platforms: what an app client polls to decide which experience to show
// and which platform to talk to. Once the configurations agree, both platforms give a user the
// same answer.

export const Platform = z.enum(['primary', 'standin']);
export type Platform = z.infer<typeof Platform>;

/**
 * Stand-in's effects primary may not have yet: its advices that primary has not applied, as far as
 * stand-in knows. Stand-in learns that primary applied an advice when primary's event carrying the
 * advice's correlation id has synced back (primary announces every advice it applies under that id),
 * so these figures never undercount; while sync lags they can overcount.
 */
export const AdvicesInFlight = z.strictObject({
  /** Recorded, not yet acknowledged by Pub/Sub. */
  notPublished: z.int().min(0),
  /** Published, not yet applied by primary (its event for the advice has not synced back). */
  publishedNotApplied: z.int().min(0),
  /** Users (primary's customer ids) with at least one advice in flight. */
  users: z.int().min(0),
  /** When the oldest advice in flight was recorded, and how long ago by stand-in's clock; absent when none is. */
  oldestAt: Timestamp.optional(),
  oldestAgeMs: z.int().min(0).optional(),
});
export type AdvicesInFlight = z.infer<typeof AdvicesInFlight>;

export const StatusResponse = z.strictObject({
  platform: Platform,
  configurationVersion: z.int().min(0),
  user: UserId.optional(),
  /** Full app, or the simplified stand-in experience. */
  experience: z.enum(['full', 'standin']),
  /** The platform this user's app should call. */
  talkTo: Platform,
  checkedAt: Timestamp,
  /** Stand-in only: how far behind primary its synced data is, and whether that is past appetite. */
  sync: z.strictObject({ lagMs: z.int().min(0), alerting: z.boolean() }).optional(),
  /** Stand-in only: advices recorded but not yet acknowledged by Pub/Sub. */
  adviceBacklog: z.int().min(0).optional(),
  /** Stand-in only: advices primary has not applied yet, published or not. */
  advicesInFlight: AdvicesInFlight.optional(),
});
export type StatusResponse = z.infer<typeof StatusResponse>;

/** Stand-in, operator token: the advices in flight per user, for the CLI to tell whom a change would move back too early. */
export const ADVICES_IN_FLIGHT_ROUTE = '/advices/in-flight';

export const UserAdvicesInFlight = z.strictObject({
  userId: UserId,
  notPublished: z.int().min(0),
  publishedNotApplied: z.int().min(0),
  oldestAt: Timestamp,
});
export type UserAdvicesInFlight = z.infer<typeof UserAdvicesInFlight>;

export const AdvicesInFlightReport = z.strictObject({
  checkedAt: Timestamp,
  /** The totals, as in GET /status (every advice in flight, whoever it belongs to). */
  total: AdvicesInFlight,
  /** One entry per user with advices in flight, oldest first. */
  byUser: z.array(UserAdvicesInFlight),
});
export type AdvicesInFlightReport = z.infer<typeof AdvicesInFlightReport>;
