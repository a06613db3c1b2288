// One HTTP exchange with a JSON body, timed from the first byte sent to the whole answer read.
// A network failure (refused, reset, no answer before `giveUpMs`) is a result, not an exception:
// the simulators record it as the network or an app would experience it.

export type TimedResult =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly body: unknown;
      readonly elapsedMs: number;
      /** The body as it came, for checks on what it revealed. */ readonly text: string;
    }
  | { readonly kind: 'no-answer'; readonly reason: string; readonly elapsedMs: number };

export interface TimedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  readonly token?: string;
  readonly idempotencyKey?: string;
  /** Abandon the exchange after this long: what has not answered by then never will, for the caller. */
  readonly giveUpMs: number;
}

export async function timedRequest(request: TimedRequest): Promise<TimedResult> {
  const headers: Record<string, string> = {};
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(request.giveUpMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text, the caller classifies it
    }
    return { kind: 'answer', status: response.status, body, elapsedMs: performance.now() - started, text };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name = (error as Error).name;
    const reason = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${request.giveUpMs} ms` : (cause ?? (error as Error).message);
    return { kind: 'no-answer', reason, elapsedMs: performance.now() - started };
  }
}
