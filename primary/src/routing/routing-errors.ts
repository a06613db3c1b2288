import { PrimaryError } from '../platform/errors';

export const routingErrors = {
  /** Nothing was done in primary either: the sender retries, and stand-in's own idempotency makes the retry safe. */
  standinUnavailable: (what: string, retryWith: string) =>
    new PrimaryError(
      'PRIMARY_STANDIN_UNAVAILABLE',
      503,
      `${what} is handled by stand-in for this customer, and stand-in did not answer in time; nothing was done: retry later with the same ${retryWith}`,
    ),
};
