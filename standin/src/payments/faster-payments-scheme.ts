import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import { FasterPaymentResponse, safeParseContract, type FasterPaymentOutboundSend } from '@bank/shared-contracts';

// Stand-in's own road to the Faster Payments scheme (written apart from primary's on purpose).
// Only a well-formed answer about this very fpsId is an outcome. Anything else (a timeout, a
// refused connection, an HTTP error, an open breaker, an unreadable body) leaves it unknown
// whether the payment was made, so it must be asked again later with the same fpsId, which the
// scheme de-duplicates; it must never be taken as a rejection, or money could leave twice.

export const DEFAULT_FASTER_PAYMENTS_SCHEME_URL = 'http://127.0.0.1:8600/faster-payments';

export interface FasterPaymentsScheme {
  /** The scheme's definitive answer; rejects with SchemeOutcomeUnknown when there is none. */
  submit(payment: FasterPaymentOutboundSend): Promise<FasterPaymentResponse>;
}

export class SchemeOutcomeUnknown extends Error {
  readonly code = 'STANDIN_FPS_OUTCOME_UNKNOWN';
}

export interface SchemeSettings {
  /** Base URL; payments go to `${url}/payments`. */
  readonly url: string;
  /** How long one submission may take before its outcome counts as unknown. */
  readonly timeoutMs: number;
  /** How long the breaker stays open before it lets one trial submission through. */
  readonly breakerResetMs: number;
}

const DEFAULTS: Omit<SchemeSettings, 'url'> = { timeoutMs: 2_000, breakerResetMs: 5_000 };

export function httpFasterPaymentsScheme(
  deps: { logger: Logger },
  options: Partial<SchemeSettings> & { url: string },
): FasterPaymentsScheme & { readonly breaker: CircuitBreaker<[FasterPaymentOutboundSend], FasterPaymentResponse> } {
  const settings: SchemeSettings = { ...DEFAULTS, ...options, url: options.url.replace(/\/+$/, '') };
  const endpoint = `${settings.url}/payments`;

  const call = async (payment: FasterPaymentOutboundSend): Promise<FasterPaymentResponse> => {
    // The signal also bounds reading the body: a scheme that sends headers and then stalls is a timeout too.
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payment),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (!response.ok) throw new Error(`the scheme answered HTTP ${response.status}`);
    const parsed = safeParseContract('Faster Payments scheme response', FasterPaymentResponse, await response.json());
    if (!parsed.ok) throw parsed.error;
    if (parsed.value.fpsId !== payment.fpsId) throw new Error(`the scheme answered about ${parsed.value.fpsId}, not ${payment.fpsId}`);
    return parsed.value;
  };

  // A rejection is an answer, so it counts as a success here; only missing answers trip the breaker.
  // The breaker's own timeout is a backstop: the fetch above is aborted first.
  const breaker = new CircuitBreaker(call, {
    name: 'standin-faster-payments-scheme',
    timeout: settings.timeoutMs + 500,
    resetTimeout: settings.breakerResetMs,
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
  });
  breaker.on('open', () => deps.logger.warn({ endpoint }, 'Faster Payments scheme breaker open: outbound payments wait as submitted and are retried'));
  breaker.on('close', () => deps.logger.info({ endpoint }, 'Faster Payments scheme breaker closed: the scheme answers again'));

  return {
    breaker,
    async submit(payment) {
      try {
        return await breaker.fire(payment);
      } catch (failure) {
        throw new SchemeOutcomeUnknown(`no answer from the Faster Payments scheme at ${endpoint} for ${payment.fpsId}: ${(failure as Error).message}`);
      }
    },
  };
}
