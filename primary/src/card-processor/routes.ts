import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CardAuthorisationRequest, CardClearingRecord, CardReversalRequest, type MessageKey } from '@bank/shared-contracts';
import type { Db } from '../platform/db';
import { parseInput } from '../platform/http';
import type { PaymentRouter } from '../routing/payment-router';
import type { CardProcessor } from './card-processor';

const forwarded = (request: FastifyRequest) => ({ path: request.url, body: request.body });

/**
 * Whether primary holds the authorisation with this message key (its own, or one stand-in
 * advised): a reversal of it is then primary's to process. It reads the card processor's own
 * table, which is why it lives in this module.
 */
export async function primaryHoldsAuthorisation(db: Db, key: MessageKey): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3', [key.stan, key.rrn, key.terminalId]);
  return (rowCount ?? 0) > 0;
}

/**
 * The scheme API: the same paths and messages in primary and stand-in, so either can take a
 * message unchanged. Each message is validated here first, then routed: processed by primary,
 * or proxied to stand-in as it came.
 */
export function schemeCardRoutes(app: FastifyInstance, deps: { processor: CardProcessor; router: PaymentRouter }): void {
  const { processor, router } = deps;

  app.post('/scheme/card/authorisations', async (request, reply) => {
    const message = parseInput('card authorisation request', CardAuthorisationRequest, request.body);
    const routed = await router.cardAuthorisation(message, forwarded(request));
    if (routed.destination === 'standin') return reply.code(routed.answer.statusCode).send(routed.answer.body);
    return processor.authorise(message);
  });
  app.post('/scheme/card/reversals', async (request, reply) => {
    const message = parseInput('card reversal request', CardReversalRequest, request.body);
    const routed = await router.cardReversal(message, forwarded(request));
    if (routed.destination === 'standin') return reply.code(routed.answer.statusCode).send(routed.answer.body);
    return processor.reverse(message);
  });
  // Settlement, not a decision: the system of record takes every clearing, whoever authorised the payment.
  app.post('/scheme/card/clearings', async (request) => processor.clear(parseInput('card clearing record', CardClearingRecord, request.body)));
}
