import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Advice } from '@bank/shared-contracts';
import { parseInput } from '../platform/http';
import { BEARER, ERROR_RESPONSES, INTERNAL_TAG } from '../platform/api-docs';
import type { AdviceApplier } from './advice-applier';

/** Internal API for the advice consumer and for operations (never reachable with a customer token). */
export function adviceRoutes(app: FastifyInstance, deps: { applier: AdviceApplier; internal: (request: FastifyRequest) => void }): void {
  app.post('/internal/advices', { schema: { summary: "Apply one of stand-in's advices, exactly once (the advice consumer)", tags: [INTERNAL_TAG], security: BEARER, body: Advice, response: ERROR_RESPONSES } }, async (request, reply) => {
    deps.internal(request);
    const advice = parseInput('advice', Advice, request.body);
    const outcome = await deps.applier.apply(advice);
    if (outcome.outcome === 'applied' && outcome.note) request.log.warn({ adviceId: advice.adviceId, type: advice.type, accountId: advice.accountId, sequence: advice.sequence }, `advice applied without moving money: ${outcome.note}`);
    return reply.code(outcome.outcome === 'out_of_order' ? 409 : 200).send(outcome);
  });
  app.get('/internal/advices/applied', { schema: { summary: 'Every advice primary applied (reconciliation)', tags: [INTERNAL_TAG], security: BEARER, response: ERROR_RESPONSES } }, async (request) => {
    deps.internal(request);
    return { applied: await deps.applier.applied() };
  });
  app.get('/internal/unapproved-overdrafts', { schema: { summary: "Accounts stand-in's advices pushed into an unapproved overdraft", tags: [INTERNAL_TAG], security: BEARER, response: ERROR_RESPONSES } }, async (request) => {
    deps.internal(request);
    return { accounts: await deps.applier.unapprovedOverdrafts() };
  });
}
