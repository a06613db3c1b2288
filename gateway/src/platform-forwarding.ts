import type { Platform, PrimaryFailure } from './destination';

/** A platform's answer, carried back to the network as it came. */
export interface PlatformAnswer {
  readonly platform: Platform;
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** Retry-After, when the platform sent one: a 503 with it is a deliberate "come back later", not a failure. */
  readonly retryAfter?: string;
}

/** A forward that produced no answer, with whether the platform can have received the message. */
export class ForwardFailure extends Error {
  constructor(
    readonly platform: Platform,
    readonly failure: PrimaryFailure,
    /** Who did not answer and how, for the 504's message: no card number, no body. */
    readonly description: string,
  ) {
    super(description);
    this.name = 'ForwardFailure';
  }
}

/**
 * Connection errors that happen before a single byte of the request leaves: the platform cannot
 * have acted on the message. Anything else (a reset, a socket closed mid-request) may come after
 * the platform read the message, so its outcome is unknown.
 */
const NOTHING_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  // fetch wraps the socket error in `cause`; happy-eyeballs connects wrap several in an AggregateError.
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (Array.isArray(errors)) for (const inner of errors) codes.push(...errorCodes(inner));
    current = cause;
  }
  return codes;
}

const PLATFORM_NAMES: Record<Platform, string> = { primary: 'primary', standin: 'stand-in' };

/**
 * Sends the message's bytes as received to the same path on the platform and reads its whole
 * answer, all within `signal`. The caller's signal carries the network's deadline, so a slow
 * platform ends in a ForwardFailure in time for the gateway to answer.
 */
export async function forwardToPlatform(
  target: { readonly platform: Platform; readonly url: string; readonly credential: string },
  path: string,
  body: Buffer,
  signal: AbortSignal,
  budgetMs: number,
): Promise<PlatformAnswer> {
  const started = Date.now();
  const name = PLATFORM_NAMES[target.platform];
  try {
    const response = await fetch(`${target.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${target.credential}` },
      body,
      signal,
      redirect: 'manual',
    });
    const answer = Buffer.from(await response.arrayBuffer());
    const retryAfter = response.headers.get('retry-after');
    return {
      platform: target.platform,
      status: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      body: answer,
      ...(retryAfter === null ? {} : { retryAfter }),
    };
  } catch (error) {
    const elapsedMs = Date.now() - started;
    if (signal.aborted) throw new ForwardFailure(target.platform, 'no_answer', `${name} did not answer within ${budgetMs} ms`);
    const codes = errorCodes(error);
    const unsent = codes.find((code) => NOTHING_SENT_CODES.has(code));
    if (unsent) throw new ForwardFailure(target.platform, 'not_sent', `${name} could not be reached (${unsent}) after ${elapsedMs} ms`);
    throw new ForwardFailure(
      target.platform,
      'no_answer',
      `${name} did not answer: the connection failed after ${elapsedMs} ms (${codes[0] ?? (error as Error).message})`,
    );
  }
}
