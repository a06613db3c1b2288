import CircuitBreaker from 'opossum';
import { FasterPaymentResponse, parseContract, type FasterPaymentOutboundSend } from '@bank/shared-contracts';

/** What primary needs from the Faster Payments scheme: submit a payment, hear accept or reject. */
export interface FasterPaymentsScheme {
  /** Resolves with the scheme's answer; rejects when the outcome is unknown (timeout, scheme down, breaker open). */
  submit(payment: FasterPaymentOutboundSend): Promise<FasterPaymentResponse>;
}

/**
 * The scheme over HTTP, behind a timeout and a circuit breaker. A timed-out submission is an
 * unknown outcome, not a rejection: it is retried later with the same FPS id, which the scheme
 * de-duplicates.
 */
export function httpFasterPaymentsScheme(options: { url: string; timeoutMs?: number }): FasterPaymentsScheme & { breaker: CircuitBreaker } {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const call = async (payment: FasterPaymentOutboundSend): Promise<FasterPaymentResponse> => {
    const response = await fetch(`${options.url}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payment),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) throw new Error(`Faster Payments scheme answered HTTP ${response.status}`);
    return parseContract('Faster Payments scheme response', FasterPaymentResponse, await response.json());
  };
  const breaker = new CircuitBreaker(call, {
    timeout: timeoutMs + 500,
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    resetTimeout: 5_000,
    name: 'faster-payments-scheme',
  });
  return { submit: (payment) => breaker.fire(payment), breaker };
}
