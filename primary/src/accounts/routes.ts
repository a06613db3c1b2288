import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NonNegativeAmountMinor, PartyName } from '@bank/shared-contracts';
import { errors } from '../platform/errors';
import { bearerToken, idParam, parseInput } from '../platform/http';
import type { AccountsService } from './accounts-service';

/** Arranged overdraft a customer can ask for at opening; more needs a credit decision. */
const MAX_OPENING_OVERDRAFT_MINOR = 100_000;

export const OpenAccountRequest = z.strictObject({
  holderName: PartyName,
  overdraftLimitMinor: NonNegativeAmountMinor.refine((value) => value <= MAX_OPENING_OVERDRAFT_MINOR, {
    error: `expected an arranged overdraft of at most ${MAX_OPENING_OVERDRAFT_MINOR} minor units`,
  }).default(0),
});

export const AccountIdParams = z.strictObject({ accountId: idParam('an account id') });

/** Resolves the customer behind a bearer token, or 401s. */
export function customerAuthentication(accounts: AccountsService) {
  return async (request: FastifyRequest): Promise<string> => {
    const token = bearerToken(request);
    const customerId = token ? await accounts.customerForToken(token) : undefined;
    if (!customerId) throw errors.unauthenticated();
    return customerId;
  };
}

export function accountsRoutes(app: FastifyInstance, deps: { accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> }): void {
  const { accounts, customer } = deps;

  app.post('/accounts', async (request, reply) => {
    const body = parseInput('open account request', OpenAccountRequest, request.body ?? {});
    const opened = await accounts.open(body);
    return reply.code(201).send(opened);
  });

  app.get('/accounts', async (request) => ({ accounts: await accounts.listOwned(await customer(request)) }));

  app.get('/accounts/:accountId', async (request) => {
    const customerId = await customer(request);
    const { accountId } = parseInput('account path', AccountIdParams, request.params);
    const account = await accounts.findOwned(customerId, accountId);
    return { ...account, balance: await accounts.balance(account.id) };
  });
}
