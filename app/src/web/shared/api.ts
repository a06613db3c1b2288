// Calls to a platform from the browser, with every outcome a person can be told about: answered
// (2xx), refused (4xx with the platform's reason), the platform failing (5xx), or no answer at all
// (network down, timed out). Every call has a time limit.

export type ApiOutcome<T> =
  | { readonly ok: true; readonly status: number; readonly body: T }
  | { readonly ok: false; readonly kind: 'unreachable'; readonly message: string }
  | {
      readonly ok: false;
      readonly kind: 'refused' | 'failed';
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly retryAfterS?: number;
      /** The answer as it came (a refused transfer carries its reason in it, not in an error envelope). */
      readonly body?: unknown;
    };

export const CALL_TIMEOUT_MS = 8_000;

export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly token?: string;
  readonly body?: unknown;
  /** Money-moving requests: the same key for every retry of one attempt, a new one per attempt. */
  readonly idempotencyKey?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export async function callPlatform<T>(baseUrl: string, path: string, options: CallOptions = {}): Promise<ApiOutcome<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? CALL_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
    });
  } catch (failure) {
    const timedOut = (failure as Error).name === 'TimeoutError';
    return { ok: false, kind: 'unreachable', message: timedOut ? 'no answer in time' : 'could not connect' };
  }
  let body: unknown;
  try {
    const text = await response.text();
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, status: response.status, body: body as T };
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const retryAfter = Number(response.headers.get('retry-after'));
  return {
    ok: false,
    kind: response.status >= 500 ? 'failed' : 'refused',
    status: response.status,
    code: error?.code ?? `HTTP_${response.status}`,
    message: error?.message ?? `the bank answered ${response.status}`,
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterS: retryAfter } : {}),
    ...(body === undefined ? {} : { body }),
  };
}

/** What to tell the customer about a failed call, in plain words. */
/** Refusals whose platform message is not for customers: said in words instead. */
const PLAIN_WORDS: Record<string, string> = {
  PRIMARY_CUSTOMER_TOKEN_EXPIRED: 'Your sign-in has expired. Please sign out and sign in again.',
  STANDIN_CUSTOMER_TOKEN_EXPIRED: 'Your sign-in has expired. Please sign out and sign in again.',
  PRIMARY_CUSTOMER_TOKEN_REVOKED: 'The bank has ended your sign-in. Please sign out and sign in again.',
  STANDIN_CUSTOMER_TOKEN_REVOKED: 'The bank has ended your sign-in. Please sign out and sign in again.',
  // A sign-in made moments ago may not have reached the backup part of the bank yet.
  STANDIN_UNAUTHENTICATED: 'This part of the bank does not recognise your sign-in yet. Please try again in a minute.',
  PRIMARY_INSUFFICIENT_FUNDS: 'There is not enough money in your account for this.',
};

export function describeFailure(outcome: Exclude<ApiOutcome<unknown>, { ok: true }>): string {
  if (outcome.kind === 'unreachable') return `We could not reach the bank (${outcome.message}). Check your connection and try again.`;
  const words = PLAIN_WORDS[outcome.code];
  if (words) return words;
  if (outcome.status === 401) return 'Your sign-in was not accepted. Please sign out and sign in again.';
  if (outcome.status === 429) return `Too many requests just now. Please try again${outcome.retryAfterS ? ` in ${outcome.retryAfterS} s` : ' shortly'}.`;
  if (outcome.kind === 'failed')
    return `Something went wrong on our side${outcome.retryAfterS ? `; please try again in ${outcome.retryAfterS} s` : '; please try again shortly'}.`;
  return outcome.message.charAt(0).toUpperCase() + outcome.message.slice(1);
}

export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
