import { z } from 'zod';
import { Timestamp } from './primitives';
import { UserId } from './configuration';

// GET /status on both platforms: what an app client polls to decide which experience to show
// and which platform to talk to. Once the configurations agree, both platforms give a user the
// same answer.

export const Platform = z.enum(['primary', 'standin']);
export type Platform = z.infer<typeof Platform>;

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
});
export type StatusResponse = z.infer<typeof StatusResponse>;
