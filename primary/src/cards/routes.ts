import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NonNegativeAmountMinor } from '@bank/shared-contracts';
import { errors } from '../platform/errors';
import { idParam, parseInput } from '../platform/http';
import { APP_TAG, BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../platform/api-docs';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { CardOperation, CardsService } from './cards-service';

const CardIdParams = z.strictObject({ cardId: idParam('a card id') });
const IssueCardRequest = z.strictObject({ dailyCashLimitMinor: NonNegativeAmountMinor.optional() });

export function cardsRoutes(
  app: FastifyInstance,
  deps: { cards: CardsService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string>; internal: (request: FastifyRequest) => void },
): void {
  const { cards, accounts, customer, internal } = deps;

  app.get(
    '/accounts/:accountId/cards',
    { schema: { summary: "An account's cards", tags: [APP_TAG], security: BEARER, params: AccountIdParams, response: ERROR_RESPONSES } },
    async (request) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      return { cards: await cards.listForAccount(account.id) };
    },
  );

  for (const operation of ['freeze', 'unfreeze', 'cancel'] as const satisfies readonly CardOperation[]) {
    app.post(
      `/cards/:cardId/${operation}`,
      {
        schema: {
          summary: `${operation[0]!.toUpperCase()}${operation.slice(1)} a card`,
          tags: [APP_TAG],
          security: BEARER,
          params: CardIdParams,
          response: ERROR_RESPONSES,
        },
      },
      async (request) => {
        const customerId = await customer(request);
        const { cardId } = parseInput('card path', CardIdParams, request.params);
        const card = await cards.find(cardId);
        // Someone else's card is "not found", exactly like a card that does not exist.
        if (!card) throw errors.notFound('card');
        await accounts.findOwned(customerId, card.accountId);
        return cards.change(cardId, operation, `customer ${operation}`);
      },
    );
  }

  // Internal: issuing returns the PAN once, for the card manufacturer (and the test network).
  app.post(
    '/internal/accounts/:accountId/cards',
    {
      schema: {
        summary: 'Issue a card (returns the PAN once, for the card manufacturer)',
        tags: [INTERNAL_TAG],
        security: BEARER,
        params: AccountIdParams,
        body: IssueCardRequest,
        response: ERROR_RESPONSES,
      },
    },
    async (request, reply) => {
      internal(request);
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const body = parseInput('issue card request', IssueCardRequest, request.body ?? {});
      if (!(await accounts.find(accountId))) throw errors.notFound('account');
      const issued = await cards.issue(accountId, body.dailyCashLimitMinor === undefined ? {} : { dailyCashLimitMinor: body.dailyCashLimitMinor });
      return reply.code(201).send({ ...issued.card, pan: issued.pan });
    },
  );
}
