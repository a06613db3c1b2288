import type { FastifyInstance } from 'fastify';
import { CardAuthorisationRequest, CardClearingRecord, CardReversalRequest } from '@bank/shared-contracts';
import { parseInput } from '../platform/http';
import type { CardProcessor } from './card-processor';

/** The scheme API: the same paths and messages in primary and stand-in, so either can take a message unchanged. */
export function schemeCardRoutes(app: FastifyInstance, deps: { processor: CardProcessor }): void {
  app.post('/scheme/card/authorisations', async (request) => deps.processor.authorise(parseInput('card authorisation request', CardAuthorisationRequest, request.body)));
  app.post('/scheme/card/reversals', async (request) => deps.processor.reverse(parseInput('card reversal request', CardReversalRequest, request.body)));
  app.post('/scheme/card/clearings', async (request) => deps.processor.clear(parseInput('card clearing record', CardClearingRecord, request.body)));
}
