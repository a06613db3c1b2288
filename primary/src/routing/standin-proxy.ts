import CircuitBreaker from 'opossum';

// Payment messages primary has decided stand-in should process go there unchanged: stand-in's
// scheme and app APIs have primary's paths and messages. Every call is bounded by a timeout well
// inside the card network's deadline, and a breaker stops waiting on a stand-in that is down.

export interface ForwardedMessage {
  /** Path and query, exactly as primary received them. */
  readonly path: string;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StandinAnswer {
  readonly statusCode: number;
  readonly body: unknown;
}

/** `reset`: the connection broke after it was made, so stand-in may have the message (an unknown outcome, like a timeout). */
export type ProxyFailureReason = 'timeout' | 'unreachable' | 'circuit_open' | 'bad_answer' | 'reset';

/** Socket errors after the connection was made: the request may have been sent and acted on. */
const BROKEN_AFTER_CONNECT = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Stand-in gave no usable answer: the outcome there is unknown, and primary must not process the message itself. */
export class StandinDidNotAnswer extends Error {
  constructor(
    readonly reason: ProxyFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'StandinDidNotAnswer';
  }
}

export interface StandinProxy {
  /** Stand-in's status code and JSON body, unchanged; rejects with StandinDidNotAnswer. */
  forward(message: ForwardedMessage): Promise<StandinAnswer>;
  close(): void;
}

function failureOf(error: unknown): StandinDidNotAnswer {
  if (error instanceof StandinDidNotAnswer) return error;
  const { code, name, message, cause } = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  if (code === 'EOPENBREAKER') return new StandinDidNotAnswer('circuit_open', 'stand-in failed recently; not waiting on it until the breaker half-opens');
  if (code === 'ETIMEDOUT' || name === 'TimeoutError') return new StandinDidNotAnswer('timeout', 'stand-in did not answer in time');
  if (BROKEN_AFTER_CONNECT.has(cause?.code ?? code ?? ''))
    return new StandinDidNotAnswer('reset', `the connection to stand-in broke after it was made: ${cause?.code ?? code}`);
  return new StandinDidNotAnswer('unreachable', `stand-in could not be reached: ${message ?? String(error)}`);
}

/** `credential`: primary's own (PRIMARY_TOKEN), presented with scheme messages; an app request forwarded keeps its customer's. */
export function httpStandinProxy(options: { url: string; timeoutMs: number; credential: string }): StandinProxy & { breaker: CircuitBreaker } {
  const call = async (message: ForwardedMessage): Promise<StandinAnswer> => {
    const response = await fetch(`${options.url}${message.path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.credential}`, ...message.headers, 'content-type': 'application/json' },
      body: JSON.stringify(message.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    try {
      return { statusCode: response.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new StandinDidNotAnswer('bad_answer', `stand-in answered HTTP ${response.status} without a JSON body`);
    }
  };
  const breaker = new CircuitBreaker(call, {
    timeout: options.timeoutMs,
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    resetTimeout: 2_000,
    name: 'standin-proxy',
  });
  return {
    breaker,
    async forward(message) {
      try {
        return (await breaker.fire(message)) as StandinAnswer;
      } catch (error) {
        throw failureOf(error);
      }
    },
    close: () => breaker.shutdown(),
  };
}

/** For an app built without a stand-in (tests that never route): anything routed there gets the not-answered fallback. */
export const noStandinProxy: StandinProxy = {
  forward: async () => {
    throw new StandinDidNotAnswer('unreachable', 'this primary was started without a stand-in URL');
  },
  close: () => undefined,
};
