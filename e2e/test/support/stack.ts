import { startRunStack, type RunStack } from '../../src/stack/run-stack';
import { startFasterPaymentsScheme } from '../../src/simulator/faster-payments-scheme';
import { CREDENTIALS } from '../../src/stack/credentials';

/**
 * The whole system as child processes of the test: infra, primary, syncer, stand-in, advice
 * consumer, on databases of its own, with the payment-network simulator's Faster Payments scheme
 * taking both platforms' outbound payments.
 */
export type Stack = RunStack;

export async function startStack(): Promise<Stack> {
  const scheme = await startFasterPaymentsScheme();
  const stack = await startRunStack({ fasterPaymentsSchemeUrl: scheme.url }).catch(async (failure: unknown) => {
    await scheme.close();
    throw failure;
  });
  return {
    ...stack,
    async stop() {
      try {
        await stack.stop();
      } finally {
        await scheme.close();
      }
    },
  };
}

/** Polls `probe` until it returns a value `done` accepts, or fails with the last value seen. */
export async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s; last seen: ${JSON.stringify(last)?.slice(0, 1_500)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Who a test is when it names no token (`token: null`: nobody): whoever the call maps let call the
 * route. A scheme message sent straight to a platform comes as the gateway's, an account opened
 * as the onboarding back end, a card issued as the card manufacturer.
 */
function credentialFor(method: string, url: string): string | undefined {
  const path = new URL(url).pathname;
  if (method !== 'POST') return undefined;
  if (path.startsWith('/scheme/')) return CREDENTIALS.gateway;
  if (path === '/accounts') return CREDENTIALS.onboarding;
  if (/^\/internal\/accounts\/[^/]+\/cards$/.test(path)) return CREDENTIALS['card-manufacturer'];
  return undefined;
}

export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  options: { token?: string | null; body?: unknown; idempotencyKey?: string } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  const token = options.token === null ? undefined : (options.token ?? credentialFor(method, url));
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
