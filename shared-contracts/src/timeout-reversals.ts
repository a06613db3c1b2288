import { z } from 'zod';
import { MessageKey } from './card-scheme';
import { Timestamp } from './primitives';

/**
 * Primary, operator or internal token: the timeout reversals primary owes stand-in (authorisations
 * it answered 91 for while stand-in may still approve them), and those flagged after many
 * unacknowledged attempts (still retried; an operator should look), oldest flagged first.
 */
export const TIMEOUT_REVERSALS_ROUTE = '/operations/timeout-reversals';

export const FlaggedTimeoutReversal = z.strictObject({
  original: MessageKey,
  attempts: z.int().min(0),
  owedSince: Timestamp,
  flaggedAt: Timestamp,
  lastFailure: z.string().nullable(),
});
export type FlaggedTimeoutReversal = z.infer<typeof FlaggedTimeoutReversal>;

export const TimeoutReversalsReport = z.strictObject({
  /** Every timeout reversal not yet acknowledged. */
  owed: z.int().min(0),
  /** Of those, the ones past the attempts after which they are flagged. */
  flagged: z.int().min(0),
  /** The oldest flagged ones, up to the query's limit. */
  oldestFlagged: z.array(FlaggedTimeoutReversal),
});
export type TimeoutReversalsReport = z.infer<typeof TimeoutReversalsReport>;
