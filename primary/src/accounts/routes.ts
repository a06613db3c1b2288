import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NonNegativeAmountMinor, PartyName } from '@bank/shared-contracts';
import { errors } from '../platform/errors';
import { bearerToken, idParam, parseInput } from '../platform/http';
import { APP_TAG, BEARER, ERROR_RESPONSES } from '../platform/api-docs';
import type { AccountsService } from './accounts-service';

/**
 * Opening an account lends nothing: an arranged overdraft is a separate change an operator
 * approves (POST /internal/accounts/:accountId/arranged-overdraft, audited). The field stays, for
 * clients that send 0, and anything else is refused, not silently dropped.
 */
export const OpenAccountRequest = z.strictObject({
  holderName: PartyName,
  overdraftLimitMinor: NonNegativeAmountMinor.refine((value) => value === 0, {
    error: 'expected 0: opening an account grants no overdraft; an operator arranges one afterwards (POST /internal/accounts/:accountId/arranged-overdraft)',
  }).default(0),
});

export const AccountIdParams = z.strictObject({ accountId: idParam('an account id') });

/** Resolves the customer behind a bearer token, or 401s (saying so when the token expired or was revoked, so the app asks the customer to sign in). */
export function customerAuthentication(accounts: AccountsService) {
  return async (request: FastifyRequest): Promise<string> => {
    const token = bearerToken(request);
    if (!token) throw errors.unauthenticated();
    const check = await accounts.checkToken(token);
    if (check.ok) return check.customerId;
    if (check.why === 'expired') throw errors.customerTokenExpired();
    if (check.why === 'revoked') throw errors.customerTokenRevoked();
    throw errors.unauthenticated();
  };
}

export function accountsRoutes(app: FastifyInstance, deps: { accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> }): void {
  const { accounts, customer } = deps;

  app.post(
    '/accounts',
    { schema: { summary: 'Open an account (returns the bearer token once)', tags: [APP_TAG], body: OpenAccountRequest, response: ERROR_RESPONSES } },
    async (request, reply) => {
      const body = parseInput('open account request', OpenAccountRequest, request.body ?? {});
      const opened = await accounts.open(body);
      return reply.code(201).send(opened);
    },
  );

  app.get('/accounts', { schema: { summary: "The customer's accounts", tags: [APP_TAG], security: BEARER, response: ERROR_RESPONSES } }, async (request) => ({
    accounts: await accounts.listOwned(await customer(request)),
  }));

  app.get(
    '/accounts/:accountId',
    { schema: { summary: 'An account and its balance', tags: [APP_TAG], security: BEARER, params: AccountIdParams, response: ERROR_RESPONSES } },
    async (request) => {
      const customerId = await customer(request);
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(customerId, accountId);
      return { ...account, balance: await accounts.balance(account.id) };
    },
  );
}
