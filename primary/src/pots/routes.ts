import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PositiveAmountMinor, storableText } from '@bank/shared-contracts';
import type { Db } from '../platform/db';
import { idParam, parseInput } from '../platform/http';
import { IdempotencyKeyHeader, idempotencyKeyOf, once } from '../platform/idempotency';
import { APP_TAG, BEARER, ERROR_RESPONSES } from '../platform/api-docs';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { Pot, PotsService } from './pots-service';

const CreatePotRequest = z.strictObject({ name: storableText(z.string().trim().min(1, { error: 'expected a pot name' }).max(60)) });
const PotParams = AccountIdParams.extend({ potId: idParam('a pot id'), direction: z.enum(['deposit', 'withdraw']) });
const MoveRequest = z.strictObject({ amountMinor: PositiveAmountMinor });

export function potsRoutes(
  app: FastifyInstance,
  deps: { db: Db; pots: PotsService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> },
): void {
  const { db, pots, accounts, customer } = deps;

  app.post(
    '/accounts/:accountId/pots',
    { schema: { summary: 'Create a pot', tags: [APP_TAG], security: BEARER, params: AccountIdParams, body: CreatePotRequest, response: ERROR_RESPONSES } },
    async (request, reply) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      const body = parseInput('create pot request', CreatePotRequest, request.body);
      return reply.code(201).send(await pots.create(account.id, body.name));
    },
  );

  app.get(
    '/accounts/:accountId/pots',
    { schema: { summary: "An account's pots", tags: [APP_TAG], security: BEARER, params: AccountIdParams, response: ERROR_RESPONSES } },
    async (request) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      return { pots: await pots.list(account.id) };
    },
  );

  app.post(
    '/accounts/:accountId/pots/:potId/:direction',
    {
      schema: {
        summary: 'Move money into (deposit) or out of (withdraw) a pot',
        tags: [APP_TAG],
        security: BEARER,
        params: PotParams,
        headers: IdempotencyKeyHeader,
        body: MoveRequest,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      const customerId = await customer(request);
      const params = parseInput('pot path', PotParams, request.params);
      const key = idempotencyKeyOf(request);
      const body = parseInput('pot transfer request', MoveRequest, request.body);
      const account = await accounts.findOwned(customerId, params.accountId);
      const answer = await once<Pot>(db, customerId, key, { params, body }, async (tx) => ({
        statusCode: 200,
        body: await pots.move(tx, account.id, params.potId, params.direction, body.amountMinor),
      }));
      return answer.body;
    },
  );
}
