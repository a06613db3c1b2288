import type { Logger } from 'pino';
import {
  PAYMENT_COMPONENTS,
  type CardAuthorisationRequest,
  type CardReversalRequest,
  type ConfigurationDocument,
  type FasterPaymentInboundCredit,
  type MessageKey,
  type StandinComponent,
} from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import { withinMs } from '../platform/deadline';
import type { PrimaryMetrics } from '../platform/metrics';
import { cardAuthorisationComponent, destinationFor, nobodyOnStandin, userDecides, type Destination } from './routing-decision';
import { authorisationUnavailable, reversalUnavailable } from '../card-processor/issuer-unavailable';
import { routingErrors } from './routing-errors';
import { StandinDidNotAnswer, type ForwardedMessage, type ProxyFailureReason, type StandinAnswer, type StandinProxy } from './standin-proxy';
import type { TimeoutReversals } from './timeout-reversals';

// Per message: process it here, or hand it to stand-in unchanged. Once a message is routed to
// stand-in primary never processes it itself, whatever happens next: stand-in may have acted on
// it even when its answer did not arrive, and processing it here too could approve it twice.

/** Who a payment belongs to, in primary's customer ids (what stand-in knows as the customer, synced). */
export interface PaymentOwners {
  ofCard(pan: string): Promise<string | undefined>;
  ofAccount(sortCode: string, accountNumber: string): Promise<string | undefined>;
}

export type Routed = { readonly destination: 'primary' } | { readonly destination: 'standin'; readonly answer: StandinAnswer };

const PRIMARY: Routed = { destination: 'primary' };

/** Failures after which stand-in may still act on the message (refused connections and an open breaker sent it nothing). */
const outcomeUnknown = (reason: ProxyFailureReason): reason is 'timeout' | 'bad_answer' | 'reset' =>
  reason === 'timeout' || reason === 'bad_answer' || reason === 'reset';

/** How long a reversal waits to learn whether primary holds its authorisation (an indexed read: milliseconds, normally). */
export const HOLDS_LOOKUP_BUDGET_MS = 300;

export type PaymentRouter = ReturnType<typeof createPaymentRouter>;

export function createPaymentRouter(deps: {
  /** The cached configuration: read synchronously, never waiting on the database. */
  configuration: { current(): ConfigurationDocument };
  owners: PaymentOwners;
  /** Whether primary has the authorisation a reversal refers to (then it reverses it itself). */
  primaryHoldsAuthorisation(key: MessageKey): Promise<boolean>;
  standin: StandinProxy;
  /** Reverses at stand-in an authorisation it may have approved after primary answered 91. */
  timeoutReversals?: Pick<TimeoutReversals, 'reverseAtStandin'>;
  /** Primary's clock: the daily cohort is the one of primary's day, and tests set that day. */
  clock: Clock;
  metrics: PrimaryMetrics;
  logger: Logger;
}) {
  const { configuration, owners, standin, clock, metrics, logger } = deps;

  /** Looks the user up only when the answer depends on who it is. */
  async function decide(document: ConfigurationDocument, component: StandinComponent, user: () => Promise<string | undefined>): Promise<Destination> {
    const destination = destinationFor(document, component, userDecides(document, component) ? await user() : undefined, clock.now());
    metrics.paymentsRouted.inc({ component, destination });
    return destination;
  }

  /** Stand-in's answer; when there is none, the failure is counted, logged (no PAN) and rethrown for the caller's fallback. */
  async function forward(component: StandinComponent, message: ForwardedMessage, context: Record<string, unknown>): Promise<StandinAnswer> {
    try {
      return await standin.forward(message);
    } catch (error) {
      const failure = error instanceof StandinDidNotAnswer ? error : new StandinDidNotAnswer('unreachable', (error as Error).message);
      metrics.standinProxyFailures.inc({ component, reason: failure.reason });
      logger.warn(
        { component, reason: failure.reason, path: message.path.split('?')[0], ...context },
        `payment routed to stand-in got no answer: ${failure.message}`,
      );
      throw failure;
    }
  }

  return {
    /**
     * `signal`: the card budget. Once it has aborted the network has heard 91, so a message whose
     * routing took that long (a user lookup on a hung database) is not sent to stand-in after all.
     */
    async cardAuthorisation(request: CardAuthorisationRequest, message: ForwardedMessage, options: { readonly signal?: AbortSignal } = {}): Promise<Routed> {
      const component = cardAuthorisationComponent(request.processingCode);
      if ((await decide(configuration.current(), component, () => owners.ofCard(request.pan))) === 'primary') return PRIMARY;
      options.signal?.throwIfAborted();
      try {
        return { destination: 'standin', answer: await forward(component, message, { stan: request.stan, rrn: request.rrn, terminalId: request.terminalId }) };
      } catch (error) {
        // Stand-in may have the message (it timed out, answered nonsense, or the connection broke
        // after it was made): it may still approve it. The reversal is recorded before the 91 leaves.
        if (error instanceof StandinDidNotAnswer && outcomeUnknown(error.reason)) await deps.timeoutReversals?.reverseAtStandin(request, error.reason);
        // The network needs an answer inside its deadline; "issuer unavailable" lets it retry or stand in.
        return {
          destination: 'standin',
          answer: {
            statusCode: 200,
            body: authorisationUnavailable(request, 'routed to stand-in, which did not answer in time; declined as issuer unavailable'),
          },
        };
      }
    },

    /** A reversal follows its authorisation: if primary made (or recorded) it, primary reverses it. */
    async cardReversal(request: CardReversalRequest, message: ForwardedMessage): Promise<Routed> {
      const component = PAYMENT_COMPONENTS.card.outbound;
      const document = configuration.current();
      // With card spending on primary for everybody (no targeting, no cohort) there is nothing to look up: primary handles it either way.
      if (nobodyOnStandin(document, component)) {
        metrics.paymentsRouted.inc({ component, destination: 'primary' });
        return PRIMARY;
      }
      // Primary's database unreachable (the outage users are being routed away from): primary
      // cannot reverse anything itself, so the reversal goes where the user's payments go now.
      // Stand-in reverses its own approval, or acknowledges and advises back one primary made.
      // Bounded: on a hung database the lookup never answers, and "cannot tell" has an answer below.
      const heldHere = await withinMs(
        deps.primaryHoldsAuthorisation(request.original),
        HOLDS_LOOKUP_BUDGET_MS,
        "looking up the reversal's authorisation",
      ).catch((error: unknown) => {
        logger.warn(
          { err: error, stan: request.stan, rrn: request.rrn },
          "cannot tell whether primary holds this reversal's authorisation; routing it by the configuration",
        );
        return false;
      });
      if (heldHere) {
        metrics.paymentsRouted.inc({ component, destination: 'primary' });
        return PRIMARY;
      }
      if ((await decide(document, component, () => owners.ofCard(request.pan))) === 'primary') return PRIMARY;
      try {
        return {
          destination: 'standin',
          answer: await forward(component, message, { stan: request.stan, rrn: request.rrn, terminalId: request.terminalId, original: request.original }),
        };
      } catch {
        // Not acknowledged: the network repeats a reversal until it is.
        return {
          destination: 'standin',
          answer: { statusCode: 200, body: reversalUnavailable(request, 'routed to stand-in, which did not answer in time; send the reversal again') },
        };
      }
    },

    async fasterPaymentInbound(credit: FasterPaymentInboundCredit, message: ForwardedMessage): Promise<Routed> {
      const component = PAYMENT_COMPONENTS.fps.inbound;
      if ((await decide(configuration.current(), component, () => owners.ofAccount(credit.creditor.sortCode, credit.creditor.accountNumber))) === 'primary')
        return PRIMARY;
      try {
        return { destination: 'standin', answer: await forward(component, message, { fpsId: credit.fpsId }) };
      } catch {
        throw routingErrors.standinUnavailable('this Faster Payments credit', 'fpsId');
      }
    },

    /** An app-initiated send; `customer` authenticates the caller (only asked when the answer depends on who it is). */
    async appTransfer(message: ForwardedMessage, customer: () => Promise<string>): Promise<Routed> {
      const component = PAYMENT_COMPONENTS.fps.outbound;
      if ((await decide(configuration.current(), component, customer)) === 'primary') return PRIMARY;
      try {
        return { destination: 'standin', answer: await forward(component, message, {}) };
      } catch {
        throw routingErrors.standinUnavailable('this transfer', 'Idempotency-Key');
      }
    },
  };
}
