import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BankAccountParty } from '@bank/shared-contracts';
import { idParam, parseInput } from '../platform/http';
import { APP_TAG, BEARER, ERROR_RESPONSES } from '../platform/api-docs';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { PayeesService } from './payees-service';

const PayeeParams = AccountIdParams.extend({ payeeId: idParam('a payee id') });

export function payeesRoutes(
  app: FastifyInstance,
  deps: { payees: PayeesService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> },
): void {
  const { payees, accounts, customer } = deps;

  app.post(
    '/accounts/:accountId/payees',
    { schema: { summary: 'Add a payee', tags: [APP_TAG], security: BEARER, params: AccountIdParams, body: BankAccountParty, response: ERROR_RESPONSES } },
    async (request, reply) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      return reply.code(201).send(await payees.add(account.id, parseInput('payee', BankAccountParty, request.body)));
    },
  );

  app.get(
    '/accounts/:accountId/payees',
    { schema: { summary: "An account's payees", tags: [APP_TAG], security: BEARER, params: AccountIdParams, response: ERROR_RESPONSES } },
    async (request) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      return { payees: await payees.list(account.id) };
    },
  );

  app.delete(
    '/accounts/:accountId/payees/:payeeId',
    { schema: { summary: 'Remove a payee', tags: [APP_TAG], security: BEARER, params: PayeeParams, response: ERROR_RESPONSES } },
    async (request, reply) => {
      const params = parseInput('payee path', PayeeParams, request.params);
      const account = await accounts.findOwned(await customer(request), params.accountId);
      await payees.remove(account.id, params.payeeId);
      return reply.code(204).send();
    },
  );
}
