import CircuitBreaker from 'opossum';
import type { Advice } from '@bank/shared-contracts';

export type ApplyResult =
  | { readonly kind: 'applied' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'out_of_order'; readonly expectedSequence: number }
  /** Primary set it aside with its reason and moved the account's turn past it: acknowledged, the account's later advices go on. */
  | { readonly kind: 'quarantined'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly reason: string };

class PrimaryUnavailable extends Error {}

/**
 * Primary's internal advice endpoint behind a timeout and a breaker. A timeout is an unknown
 * outcome: the advice is redelivered and primary's applied-advice record makes the retry
 * harmless. Primary answering "no" (4xx) is not a reason to open the breaker.
 */
export function createPrimaryClient(options: { url: string; token: string; timeoutMs?: number }) {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const post = async (advice: Advice): Promise<ApplyResult> => {
    let response: Response;
    try {
      response = await fetch(`${options.url}/internal/advices`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify(advice),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new PrimaryUnavailable(`primary did not answer: ${(error as Error).message}`);
    }
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
    // Not a duplicate: another advice already holds its place in the account's sequence. Dead-lettered with this reason, never lost.
    if (response.status === 409 && body.outcome === 'conflict')
      return {
        kind: 'rejected',
        reason: `sequence ${body.sequence ?? '?'} of the account is already taken by advice ${body.heldBy ?? '?'} (stand-in's advice log restored from a backup?)`,
      };
    if (response.status >= 400 && response.status < 500) return { kind: 'rejected', reason: body.error?.message ?? `HTTP ${response.status}` };
    throw new PrimaryUnavailable(`primary answered HTTP ${response.status}`);
  };
  const breaker = new CircuitBreaker(post, {
    timeout: timeoutMs + 1_000,
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    resetTimeout: 3_000,
    name: 'primary-internal-api',
  });
  return { apply: (advice: Advice): Promise<ApplyResult> => breaker.fire(advice), breaker };
}

export type PrimaryClient = ReturnType<typeof createPrimaryClient>;
