import CircuitBreaker from 'opossum';
import { ADVICES_BATCH_ROUTE, AdviceBatchOutcomes, safeParseContract, type Advice, type AdviceOutcome } from '@bank/shared-contracts';

export type ApplyResult =
  | { readonly kind: 'applied' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'out_of_order'; readonly expectedSequence: number }
  /** Primary set it aside with its reason and moved the account's turn past it: acknowledged, the account's later advices go on. */
  | { readonly kind: 'quarantined'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string };

class PrimaryUnavailable extends Error {}

/** Primary refused the batch as a whole (an older primary without the batch route, a batch it cannot read): its advices go one by one instead. */
export class BatchRefused extends Error {}

/** One advice's outcome in a batch, as the consumer acts on it (the single route's kinds). */
export function resultOf(outcome: AdviceOutcome): ApplyResult {
  switch (outcome.outcome) {
    case 'applied':
    case 'duplicate':
      return { kind: outcome.outcome };
    case 'quarantined':
      return { kind: 'quarantined', reason: outcome.reason };
    case 'out_of_order':
      return { kind: 'out_of_order', expectedSequence: outcome.expectedSequence };
    case 'conflict':
      return { kind: 'rejected', reason: conflictReason(outcome.sequence, outcome.heldBy) };
  }
}

// Not a duplicate: another advice already holds its place in the account's sequence. Dead-lettered with this reason, never lost.
const conflictReason = (sequence: number | string, heldBy: string) =>
  `sequence ${sequence} of the account is already taken by advice ${heldBy} (stand-in's advice log restored from a backup?)`;

/**
 * Primary's internal advice endpoint behind a timeout and a breaker. A timeout is an unknown
 * outcome: the advice is redelivered and primary's applied-advice record makes the retry
 * harmless. Primary answering "no" (4xx) is not a reason to open the breaker.
 */
export function createPrimaryClient(options: { url: string; token: string; timeoutMs?: number; batchTimeoutMs?: number }) {
  const timeoutMs = options.timeoutMs ?? 5_000;
  /** No answer (refused, reset, timed out) is an unknown outcome: PrimaryUnavailable, retried. */
  const postJson = async (path: string, body: unknown, within: number): Promise<Response> => {
    try {
      return await fetch(`${options.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(within),
      });
    } catch (error) {
      throw new PrimaryUnavailable(`primary did not answer: ${(error as Error).message}`);
    }
  };
  // Both breakers open on primary's failures alone, and try it again after 3 s.
  const breakerOptions = (name: string, timeout: number) => ({ timeout, volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeout: 3_000, name });
  const post = async (advice: Advice): Promise<ApplyResult> => {
    const response = await postJson('/internal/advices', advice, timeoutMs);
    const body = (await response.json().catch(() => ({}))) as {
      outcome?: string;
      expectedSequence?: number;
      reason?: string;
      sequence?: number;
      heldBy?: string;
      error?: { message?: string };
    };
    if (response.status === 200 && (body.outcome === 'applied' || body.outcome === 'duplicate')) return { kind: body.outcome };
    if (response.status === 200 && body.outcome === 'quarantined') return { kind: 'quarantined', reason: body.reason ?? 'no reason given' };
    if (response.status === 409 && body.outcome === 'out_of_order') return { kind: 'out_of_order', expectedSequence: body.expectedSequence ?? 0 };
    if (response.status === 409 && body.outcome === 'conflict') return { kind: 'rejected', reason: conflictReason(body.sequence ?? '?', body.heldBy ?? '?') };
    if (response.status >= 400 && response.status < 500) return { kind: 'rejected', reason: body.error?.message ?? `HTTP ${response.status}` };
    throw new PrimaryUnavailable(`primary answered HTTP ${response.status}`);
  };
  const breaker = new CircuitBreaker(post, breakerOptions('primary-internal-api', timeoutMs + 1_000));
  // A batch is one transaction in primary: it may take longer than one advice, and its timeout is as
  // unknown an outcome (every advice of it is retried, primary's records make that harmless).
  const batchTimeoutMs = options.batchTimeoutMs ?? 30_000;
  const postBatch = async (advices: readonly Advice[]): Promise<ApplyResult[]> => {
    const response = await postJson(ADVICES_BATCH_ROUTE, { advices }, batchTimeoutMs);
    const body: unknown = await response.json().catch(() => undefined);
    if (response.status === 200) {
      const parsed = safeParseContract('advice batch outcomes', AdviceBatchOutcomes, body);
      if (!parsed.ok || parsed.value.outcomes.length !== advices.length)
        throw new PrimaryUnavailable('primary answered the batch with outcomes that do not match it');
      return parsed.value.outcomes.map((outcome) => resultOf(outcome.result));
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 403 && response.status !== 429)
      throw new BatchRefused(`primary refused the batch: HTTP ${response.status}`);
    throw new PrimaryUnavailable(`primary answered HTTP ${response.status}`);
  };
  const batchBreaker = new CircuitBreaker(postBatch, {
    ...breakerOptions('primary-internal-api-batch', batchTimeoutMs + 1_000),
    // Primary refusing the batch says nothing of its health.
    errorFilter: (error: unknown) => error instanceof BatchRefused,
  });
  return {
    apply: (advice: Advice): Promise<ApplyResult> => breaker.fire(advice),
    /** One result per advice, in their order; throws BatchRefused when primary will not take the batch as such. */
    applyBatch: (advices: readonly Advice[]): Promise<ApplyResult[]> => batchBreaker.fire(advices),
    breaker,
    batchBreaker,
  };
}

export type PrimaryClient = ReturnType<typeof createPrimaryClient>;
