import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../platform/http';
import { APP_TAG, BEARER, ERROR_RESPONSES } from '../platform/api-docs';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { FeedService } from './feed-service';

const MAX_CURSOR = 2n ** 63n - 1n;

const FeedQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100, { error: 'expected a page size from 1 to 100' }).default(20),
  // A cursor is a bigint id: anything past its range is not a cursor we gave out.
  before: z
    .string()
    .regex(/^\d{1,19}$/, { error: 'expected the cursor from the previous page' })
    .refine((value) => BigInt(value) <= MAX_CURSOR, { error: 'expected the cursor from the previous page' })
    .optional(),
});

export function feedRoutes(
  app: FastifyInstance,
  deps: { feed: FeedService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> },
): void {
  app.get(
    '/accounts/:accountId/transactions',
    {
      schema: {
        summary: "An account's transactions, newest first (page with `before`)",
        tags: [APP_TAG],
        security: BEARER,
        params: AccountIdParams,
        querystring: FeedQuery,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await deps.accounts.findOwned(await deps.customer(request), accountId);
      const query = parseInput('feed query', FeedQuery, request.query);
      return deps.feed.list(account.id, query.before === undefined ? { limit: query.limit } : { limit: query.limit, before: query.before });
    },
  );
}
