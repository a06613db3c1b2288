import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CardAuthorisationRequest, CardClearingRecord, CardReversalRequest, safeParseContract, type ConfigurationDocument, type MessageKey } from '@bank/shared-contracts';
import type { Db } from '../platform/db';
import { PrimaryError, errors } from '../platform/errors';
import { parseInput } from '../platform/http';
import type { PaymentRouter } from '../routing/payment-router';
import { shadowSampled } from '../shadow/shadow-sampling';
import type { ShadowSender } from '../shadow/shadow-sender';
import type { CardProcessor } from './card-processor';
import { authorisationUnavailable, reversalUnavailable } from './issuer-unavailable';
import { dataExceptionAnswer, isDataException, unstorableTextAnswer } from './format-error';

const CLEARING_RETRY_AFTER_SECONDS = 60;

const forwarded = (request: FastifyRequest) => ({ path: request.url, body: request.body });

/**
 * A card message primary failed to decide for a reason of its own (its database unreachable):
 * the network gets 91 inside its deadline instead of an HTTP 500 it cannot act on. The caller's
 * mistakes (PrimaryError) keep their own answers.
 */
async function orIssuerUnavailable<T>(request: FastifyRequest, decide: () => Promise<T>, unavailable: () => T, formatError: () => T | undefined = () => undefined): Promise<T> {
  try {
    return await decide();
  } catch (error) {
    if (error instanceof PrimaryError) throw error;
    const refused = isDataException(error) ? formatError() : undefined;
    if (refused) {
      request.log.warn({ err: error }, 'card message holds a value the database refuses: answered 30 (format error)');
      return refused;
    }
    request.log.error({ err: error }, 'card message not decided: answered 91 (issuer unavailable)');
    return unavailable();
  }
}

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
export function schemeCardRoutes(
  app: FastifyInstance,
  deps: {
    processor: CardProcessor;
    router: PaymentRouter;
    /** The cached configuration (its shadow percentage), read synchronously. */
    configuration: { current(): ConfigurationDocument };
    /** Where copies of sampled decisions go once answered; none: nothing is shadowed. */
    shadow?: Pick<ShadowSender, 'offer'>;
  },
): void {
  const { processor, router, configuration, shadow } = deps;

  app.post('/scheme/card/authorisations', async (request, reply) => {
    const parsed = safeParseContract('card authorisation request', CardAuthorisationRequest, request.body);
    if (!parsed.ok) {
      const formatError = unstorableTextAnswer(request.body, parsed.error.issues);
      if (formatError) return formatError;
      throw errors.invalidRequest('card authorisation request', parsed.error.issues);
    }
    const message = parsed.value;
    const routed = await router.cardAuthorisation(message, forwarded(request));
    // Stand-in decided it for real: nothing to compare.
    if (routed.destination === 'standin') return reply.code(routed.answer.statusCode).send(routed.answer.body);
    let decided = true;
    const answer = await orIssuerUnavailable(
      request,
      () => processor.authorise(message),
      () => {
        // Not a decision of primary's logic (its database is unreachable): comparing it would only report noise.
        decided = false;
        return authorisationUnavailable(message, 'primary could not decide it (a dependency is unreachable); declined as issuer unavailable');
      },
      () => {
        decided = false;
        return dataExceptionAnswer(message);
      },
    );
    // Handed over only once the answer has left: the network's answer and its latency are untouched by shadowing.
    if (shadow && decided && shadowSampled(configuration.current().shadow.percent, message)) reply.raw.once('finish', () => shadow.offer(message, answer));
    return answer;
  });
  app.post('/scheme/card/reversals', async (request, reply) => {
    const message = parseInput('card reversal request', CardReversalRequest, request.body);
    const routed = await router.cardReversal(message, forwarded(request));
    if (routed.destination === 'standin') return reply.code(routed.answer.statusCode).send(routed.answer.body);
    return orIssuerUnavailable(request, () => processor.reverse(message), () => reversalUnavailable(message, 'primary could not process it (a dependency is unreachable); send the reversal again'));
  });
  // Settlement, not a decision: the system of record takes every clearing, whoever authorised the payment.
  app.post('/scheme/card/clearings', async (request, reply) => {
    try {
      return await processor.clear(parseInput('card clearing record', CardClearingRecord, request.body));
    } catch (error) {
      // Deliberate and temporary: the gateway does not hold it against primary, the network presents it again.
      if (error instanceof PrimaryError && error.code === 'PRIMARY_CLEARING_AWAITING_AUTHORISATION') reply.header('retry-after', String(CLEARING_RETRY_AFTER_SECONDS));
      throw error;
    }
  });
}
