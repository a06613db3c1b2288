import { startRunStack, type RunStack } from '../../src/stack/run-stack';
import { startFasterPaymentsScheme } from '../../src/simulator/faster-payments-scheme';

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

export async function http<T = Record<string, unknown>>(
  method: string,
  url: string,
  options: { token?: string; body?: unknown; idempotencyKey?: string } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
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
