import { z } from 'zod';
import { Timestamp } from './primitives';

// The advice consumer's reconciliation (`npm run reconcile -w advice-consumer`) closes an incident:
// every stand-in advice applied exactly once in primary. Its result is recorded in stand-in, so the
// incident report (issue 21) carries reconciliation's final word beside the money it counts.

/** Stand-in's route the reconciliation posts its result to (the advice consumer's credential). */
export const RECONCILIATIONS_ROUTE = '/internal/reconciliations';

export const ReconciliationResult = z.strictObject({
  checkedAt: Timestamp,
  /** Every stand-in advice applied exactly once in primary, none diverging, none quarantined. */
  clean: z.boolean(),
  /** The whole advice log, or only some accounts (`--accounts`). */
  scope: z.enum(['all', 'accounts']),
  standinAdvices: z.int().min(0),
  primaryApplied: z.int().min(0),
  accountsNotClean: z.int().min(0),
  missing: z.int().min(0),
  duplicated: z.int().min(0),
  diverging: z.int().min(0),
  quarantined: z.int().min(0),
  appliedWithoutEffect: z.int().min(0),
  /** Advices the run re-drove into primary before this result (`--redrive`). */
  redriven: z.int().min(0).optional(),
});
export type ReconciliationResult = z.infer<typeof ReconciliationResult>;
