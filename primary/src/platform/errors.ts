import type { ContractIssue } from '@bank/shared-contracts';

/**
 * Every error primary answers with, created here with a stable code (public API, like
 * fastify's FST_ERR_*). The message tells the caller what to fix; it never holds a PAN.
 */
export class PrimaryError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly issues?: readonly ContractIssue[],
  ) {
    super(message);
    this.name = 'PrimaryError';
  }
}

export const errors = {
  invalidRequest: (what: string, issues: readonly ContractIssue[]) =>
    new PrimaryError('PRIMARY_INVALID_REQUEST', 400, `${what} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues),
  invalidAccountNumber: () =>
    new PrimaryError('PRIMARY_INVALID_ACCOUNT_NUMBER', 400, 'the account number fails its check digit for this sort code: check the digits', [
      { path: 'accountNumber', message: 'check digit does not match' },
    ]),
  unauthenticated: () => new PrimaryError('PRIMARY_UNAUTHENTICATED', 401, 'missing or unknown bearer token: send Authorization: Bearer <token>'),
  customerTokenExpired: () =>
    new PrimaryError(
      'PRIMARY_CUSTOMER_TOKEN_EXPIRED',
      401,
      'this app token has expired: sign in again (refresh a token before it expires with POST /customer/token)',
    ),
  customerTokenRevoked: () => new PrimaryError('PRIMARY_CUSTOMER_TOKEN_REVOKED', 401, 'this app token was revoked by the bank: sign in again'),
  forbidden: (caller: string) =>
    new PrimaryError('PRIMARY_FORBIDDEN', 403, `this route is not for a ${caller} credential: see who may call what in primary's call map`),
  notFound: (what: string) => new PrimaryError('PRIMARY_NOT_FOUND', 404, `${what} not found`),
  rateLimited: (what: string, max: number, windowSeconds: number, after: string) =>
    new PrimaryError('PRIMARY_RATE_LIMITED', 429, `${what}: at most ${max} per ${windowSeconds} s; try again after ${after} (Retry-After)`),
  tooManyStreams: (max: number, retryAfterSeconds: number) =>
    new PrimaryError(
      'PRIMARY_TOO_MANY_STREAMS',
      429,
      `this customer already holds ${max} open notification streams, the most allowed: close one, or try again after ${retryAfterSeconds} s (Retry-After)`,
    ),
  idempotencyKeyReused: () =>
    new PrimaryError('PRIMARY_IDEMPOTENCY_KEY_REUSED', 409, 'this Idempotency-Key was already used for a different request: use a new key for a new request'),
  cardNotChangeable: (status: string, wanted: string) => new PrimaryError('PRIMARY_CARD_STATE', 409, `a ${status} card cannot be ${wanted}`),
  insufficientFunds: () => new PrimaryError('PRIMARY_INSUFFICIENT_FUNDS', 422, 'not enough available balance for this payment'),
  missingIdempotencyKey: () =>
    new PrimaryError(
      'PRIMARY_IDEMPOTENCY_KEY_REQUIRED',
      400,
      'requests that move money need an Idempotency-Key header (a UUID you reuse only when retrying the same request)',
      [{ path: 'headers.idempotency-key', message: 'expected a UUID' }],
    ),
  adviceNotApplicable: (why: string) => new PrimaryError('PRIMARY_ADVICE_NOT_APPLICABLE', 422, `this advice cannot be applied: ${why}`),
  clearingAwaitingAuthorisation: (remainingMs: number) =>
    new PrimaryError(
      'PRIMARY_CLEARING_AWAITING_AUTHORISATION',
      503,
      `primary does not know the authorisation this clearing settles yet (stand-in may have approved it and its advice not be applied): present the clearing again later; it has not been processed, and after another ${Math.ceil(remainingMs / 60_000)} min it is posted as it stands`,
    ),
  dependencyUnavailable: (what: string) =>
    new PrimaryError('PRIMARY_DEPENDENCY_UNAVAILABLE', 503, `${what} is unavailable; retry later with the same Idempotency-Key`),
};
