import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BEARER, ERROR_RESPONSES, OPERATIONS_TAG } from '../app/api-docs';
import type { Database } from '../store/database';
import { cardsOfAccount, findCard } from './card-directory';
import type { StandinCardKeys } from './card-numbers';

// What stand-in knows of one card, by its id, for an operator: `standin rules block-card` shows the
// engineer which card the id is (its last four digits and status) before blocking it, and warns
// when stand-in does not know it (a mistyped id blocks nothing, and nobody would notice).

export const OPERATOR_CARD_ROUTE = '/operator/cards/:cardId';

export const OperatorCardView = z.discriminatedUnion('known', [
  z.strictObject({
    known: z.literal(true),
    cardId: z.uuid(),
    last4: z.string().regex(/^\d{4}$/),
    expiry: z.string(),
    status: z.enum(['active', 'frozen', 'cancelled']),
  }),
  z.strictObject({ known: z.literal(false), cardId: z.uuid() }),
]);
export type OperatorCardView = z.infer<typeof OperatorCardView>;

const CardPath = z.object({ cardId: z.uuid().toLowerCase() });

type Parse = <T>(what: string, schema: z.ZodType<T>, input: unknown) => T;

export function cardViewRoutes(server: FastifyInstance, deps: { database: Database; keys: Pick<StandinCardKeys, 'lookupKey'>; parse: Parse }): void {
  server.get(
    OPERATOR_CARD_ROUTE,
    {
      schema: {
        summary: 'A card as stand-in knows it, by card id: last four digits, expiry, status; or that it does not know it (operator)',
        tags: [OPERATIONS_TAG],
        security: BEARER,
        params: CardPath,
        response: { 200: OperatorCardView, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<OperatorCardView> => {
      const { cardId } = deps.parse('card path', CardPath, request.params);
      // The status as stand-in decides by it (findCard); the last four digits from the account's card list.
      const card = await findCard(deps.database, deps.keys, { cardId });
      const listed = card && (await cardsOfAccount(deps.database, card.accountId)).find((entry) => entry.cardId === cardId);
      if (!listed) return { known: false, cardId };
      return { known: true, cardId, last4: listed.last4, expiry: listed.expiry, status: listed.status };
    },
  );
}
