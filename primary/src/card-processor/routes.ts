import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import {
  CardAuthorisationRequest,
  CardAuthorisationResponse,
  CardClearingRecord,
  CardClearingResult,
  CardReversalRequest,
  CardReversalResponse,
  safeParseContract,
  type ConfigurationDocument,
  type MessageKey,
} from '@bank/shared-contracts';
import { isDatabaseUnavailable, type Db } from '../platform/db';
import { DeadlineExceeded, startDeadline, withinMs, type Deadline } from '../platform/deadline';
import { PrimaryError, errors } from '../platform/errors';
import { parseInput } from '../platform/http';
import { ERROR_RESPONSES, SCHEME_TAG } from '../platform/api-docs';
import type { PrimaryMetrics } from '../platform/metrics';
import type { PaymentRouter } from '../routing/payment-router';
import type { StandinAnswer } from '../routing/standin-proxy';
import type { LateApprovalReversals, TimeoutReversals } from '../routing/timeout-reversals';
import { shadowSampled } from '../shadow/shadow-sampling';
import type { ShadowSender } from '../shadow/shadow-sender';
import { DEFAULT_CARD_BUDGET_MS } from './card-budget';
import type { CardProcessor } from './card-processor';
import { RolledBackAtDeadline } from './authorise-in-database';
import { authorisationUnavailable, reversalUnavailable } from './issuer-unavailable';
import { dataExceptionAnswer, isDataException, unstorableTextAnswer } from './format-error';

const CLEARING_RETRY_AFTER_SECONDS = 60;
/** How long the network is asked to wait before presenting again a clearing primary could not take in time. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

const forwarded = (request: FastifyRequest) => ({ path: request.url, body: request.body });

type AuthorisationOutcome =
  { readonly by: 'standin'; readonly answer: StandinAnswer } | { readonly by: 'primary'; readonly response: CardAuthorisationResponse };

const approvedBy = (answer: StandinAnswer) => answer.statusCode === 200 && (answer.body as { responseCode?: unknown } | undefined)?.responseCode === '00';

/** One warning per burst, not one per message: a hung database makes every card message late. */
function budgetWarnings(logger: FastifyBaseLogger, budgetMs: number) {
  const WARN_EVERY_MS = 5_000;
  let lastWarnedAt = 0;
  let since = 0;
  return (message: string, key: Readonly<Record<string, string>>) => {
    since++;
    const now = Date.now();
    if (now - lastWarnedAt < WARN_EVERY_MS) return;
    logger.warn(
      { event: 'card_budget_exceeded', budgetMs, message, ...key, sinceLastWarning: since },
      `card messages not answered within primary's ${budgetMs} ms budget (its database is slow or hung): answered 91 / present again later`,
    );
    lastWarnedAt = now;
    since = 0;
  };
}

/**
 * Of the card budget, what is kept back after the database's own deadline for an authorisation:
 * time to hear its answer, or to read what it did when that answer is lost, and to answer.
 */
export function decisionReserveMs(budgetMs: number): number {
  return Math.min(200, Math.floor(budgetMs / 4));
}

/**
 * The authorisation's outcome within the budget. When its answer does not come back in time (past
 * the database's deadline, `unheardAfterMs`) or the connection fails under it, the commit may or may
 * not have landed: the message key is read again before anything else, and what is stored there is
 * the answer (an approval that committed is answered 00, never 91). Nothing stored: the work is
 * given the rest of the budget (a message proxied to stand-in is still on its way), then the caller
 * answers 91 and reverses what approves it later.
 */
async function outcomeOf(
  work: Promise<AuthorisationOutcome>,
  key: MessageKey,
  context: {
    readonly deadline: Deadline;
    readonly unheardAfterMs: number;
    readonly storedAnswer: (key: MessageKey) => Promise<CardAuthorisationResponse | undefined>;
  },
): Promise<AuthorisationOutcome> {
  const { deadline } = context;
  try {
    return await deadline.race(withinMs(work, context.unheardAfterMs, 'card authorisation'));
  } catch (error) {
    if (error instanceof PrimaryError || error instanceof RolledBackAtDeadline || deadline.expired()) throw error;
    const unheard = error instanceof DeadlineExceeded;
    if (!unheard && !isDatabaseUnavailable(error)) throw error;
    const stored = await deadline.race(context.storedAnswer(key)).catch(() => undefined);
    if (stored) return { by: 'primary', response: stored };
    if (unheard) return deadline.race(work);
    throw error;
  }
}

/**
 * Whether primary holds the authorisation with this message key (its own, or one stand-in
 * advised): a reversal of it is then primary's to process. It reads the card processor's own
 * table, which is why it lives in this module.
 */
export async function primaryHoldsAuthorisation(db: Db, key: MessageKey): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from card_authorisations where stan = $1 and rrn = $2 and terminal_id = $3', [
    key.stan,
    key.rrn,
    key.terminalId,
  ]);
  return (rowCount ?? 0) > 0;
}

/**
 * The scheme API: the same paths and messages in primary and stand-in, so either can take a
 * message unchanged. Each message is validated here first, then routed: processed by primary,
 * or proxied to stand-in as it came.
 *
 * Every card message is answered within the card budget, whatever primary's database does. A
 * database that is down refuses at once and primary answers 91 (issuer unavailable); one that
 * hangs answers nothing, so the budget ends the wait: an authorisation or reversal is answered 91,
 * a clearing 503 with Retry-After (present it again). Routing reads its configuration from memory,
 * so a user routed to stand-in is proxied there in time even while the database hangs. Work still
 * under way when the budget ends may finish later; an approval that does (primary's own, or
 * stand-in's to a message primary proxied) is reversed, because the network heard 91.
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
    /** PRIMARY_CARD_BUDGET_MS (default DEFAULT_CARD_BUDGET_MS). */
    budgetMs?: number;
    /** Reverses primary's own approvals that finished after the budget. None: they stand (tests that never hang). */
    lateApprovals?: Pick<LateApprovalReversals, 'reverseHere'>;
    /** Reverses at stand-in its approvals of messages proxied there that finished after the budget. */
    timeoutReversals?: Pick<TimeoutReversals, 'reverseAtStandin'>;
    metrics?: PrimaryMetrics;
  },
): void {
  const { processor, router, configuration, shadow } = deps;
  const budgetMs = deps.budgetMs ?? DEFAULT_CARD_BUDGET_MS;
  const warnOverBudget = budgetWarnings(app.log, budgetMs);
  /** `key` names the message in the log: its message key or clearing id, never the card. */
  const overBudget = (message: string, key: Readonly<Record<string, string>>) => {
    deps.metrics?.cardBudgetExceeded.inc({ message });
    warnOverBudget(message, key);
  };

  app.post(
    '/scheme/card/authorisations',
    {
      schema: {
        summary: 'A card authorisation (0100): answered with an ISO 8583 response code, within the card budget',
        tags: [SCHEME_TAG],
        body: CardAuthorisationRequest,
        response: { 200: CardAuthorisationResponse, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const parsed = safeParseContract('card authorisation request', CardAuthorisationRequest, request.body);
      if (!parsed.ok) {
        // Text the database cannot store: the sender's format error (30), named, not an outage (91).
        const formatError = unstorableTextAnswer(request.body, parsed.error.issues);
        if (formatError) return formatError;
        throw errors.invalidRequest('card authorisation request', parsed.error.issues);
      }
      const message = parsed.value;
      const deadline = startDeadline(budgetMs, 'card authorisation');
      // The database must have finished (committed, or rolled back at this instant) with some of the
      // budget left, to hear its answer or, when that answer is lost, read what it did.
      const reserveMs = decisionReserveMs(budgetMs);
      const deadlineAt = new Date(Date.now() + budgetMs - reserveMs);
      const work = (async (): Promise<AuthorisationOutcome> => {
        const routed = await router.cardAuthorisation(message, forwarded(request), { signal: deadline.signal });
        if (routed.destination === 'standin') return { by: 'standin', answer: routed.answer };
        // Routing took the whole budget (a user lookup on a hung database): decide nothing now.
        deadline.signal.throwIfAborted();
        return { by: 'primary', response: await processor.authorise(message, { deadlineAt, budgetMs }) };
      })();
      let outcome: AuthorisationOutcome;
      try {
        outcome = await outcomeOf(work, message, { deadline, unheardAfterMs: budgetMs - reserveMs / 2, storedAnswer: processor.storedAnswer });
      } catch (error) {
        if (error instanceof PrimaryError) throw error;
        if (error instanceof RolledBackAtDeadline) {
          // Known outcome: the database rolled the decision back at its deadline, nothing was approved.
          overBudget('card_authorisation', { stan: message.stan, rrn: message.rrn, terminalId: message.terminalId });
          return authorisationUnavailable(
            message,
            `primary could not decide within its ${budgetMs} ms budget (its database is slow or was paused); declined as issuer unavailable`,
          );
        }
        if (error instanceof DeadlineExceeded && deadline.expired()) {
          overBudget('card_authorisation', { stan: message.stan, rrn: message.rrn, terminalId: message.terminalId });
          // The network hears 91 now; whatever approves this payment after it is reversed.
          void work.then(
            (late) => {
              if (late.by === 'primary' && late.response.responseCode === '00') deps.lateApprovals?.reverseHere(message);
              if (late.by === 'standin' && approvedBy(late.answer)) void deps.timeoutReversals?.reverseAtStandin(message, 'late_approval');
            },
            () => undefined,
          );
          return authorisationUnavailable(
            message,
            `primary could not answer within its ${budgetMs} ms budget (its database is slow or hung); declined as issuer unavailable`,
          );
        }
        const formatError = isDataException(error) ? dataExceptionAnswer(message) : undefined;
        if (formatError) {
          request.log.warn({ err: error }, 'card message holds a value the database refuses: answered 30 (format error)');
          return formatError;
        }
        // Not a decision of primary's logic (its database is unreachable): nothing to shadow either.
        request.log.error({ err: error }, 'card authorisation not decided: answered 91 (issuer unavailable)');
        return authorisationUnavailable(message, 'primary could not decide it (a dependency is unreachable); declined as issuer unavailable');
      } finally {
        deadline.clear();
      }
      // Stand-in decided it for real: nothing to compare.
      if (outcome.by === 'standin') return reply.code(outcome.answer.statusCode).send(outcome.answer.body);
      const answer = outcome.response;
      // Handed over only once the answer has left: the network's answer and its latency are untouched by shadowing.
      if (shadow && shadowSampled(configuration.current().shadow.percent, message)) reply.raw.once('finish', () => shadow.offer(message, answer));
      return answer;
    },
  );

  app.post(
    '/scheme/card/reversals',
    {
      schema: { summary: 'A card reversal (0420)', tags: [SCHEME_TAG], body: CardReversalRequest, response: { 200: CardReversalResponse, ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      const message = parseInput('card reversal request', CardReversalRequest, request.body);
      const deadline = startDeadline(budgetMs, 'card reversal');
      // A reversal applied after its 91 is harmless: the network repeats it and hears the stored answer.
      const work = (async (): Promise<
        { readonly by: 'standin'; readonly answer: StandinAnswer } | { readonly by: 'primary'; readonly response: CardReversalResponse }
      > => {
        const routed = await router.cardReversal(message, forwarded(request));
        if (routed.destination === 'standin') return { by: 'standin', answer: routed.answer };
        deadline.signal.throwIfAborted();
        return { by: 'primary', response: await processor.reverse(message) };
      })();
      try {
        const outcome = await deadline.race(work);
        if (outcome.by === 'standin') return reply.code(outcome.answer.statusCode).send(outcome.answer.body);
        return outcome.response;
      } catch (error) {
        if (error instanceof PrimaryError) throw error;
        if (error instanceof DeadlineExceeded && deadline.expired()) {
          overBudget('card_reversal', { stan: message.stan, rrn: message.rrn, terminalId: message.terminalId });
          void work.catch(() => undefined);
          return reversalUnavailable(
            message,
            `primary could not answer within its ${budgetMs} ms budget (its database is slow or hung); send the reversal again`,
          );
        }
        request.log.error({ err: error }, 'card reversal not processed: answered 91 (issuer unavailable)');
        return reversalUnavailable(message, 'primary could not process it (a dependency is unreachable); send the reversal again');
      } finally {
        deadline.clear();
      }
    },
  );

  // Settlement, not a decision: the system of record takes every clearing, whoever authorised the payment.
  app.post(
    '/scheme/card/clearings',
    {
      schema: {
        summary: 'A clearing record (settlement; always primary)',
        tags: [SCHEME_TAG],
        body: CardClearingRecord,
        response: { 200: CardClearingResult, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const record = parseInput('card clearing record', CardClearingRecord, request.body);
      const deadline = startDeadline(budgetMs, 'card clearing');
      const work = processor.clear(record);
      try {
        return await deadline.race(work);
      } catch (error) {
        // Deliberate and temporary: the gateway does not hold it against primary, the network presents it again.
        if (error instanceof PrimaryError && error.code === 'PRIMARY_CLEARING_AWAITING_AUTHORISATION')
          reply.header('retry-after', String(CLEARING_RETRY_AFTER_SECONDS));
        if (error instanceof PrimaryError) throw error;
        if (!isDatabaseUnavailable(error)) throw error;
        // Primary cannot settle now (its database is down or hung), which says nothing about routing:
        // "present it again later", which the gateway does not count against primary's health. A
        // clearing that commits after this answer is found by its id when it is presented again.
        if (error instanceof DeadlineExceeded) overBudget('card_clearing', { clearingId: record.clearingId });
        void work.catch(() => undefined);
        reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        throw errors.dependencyUnavailable("primary's database");
      } finally {
        deadline.clear();
      }
    },
  );
}
