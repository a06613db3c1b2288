import type { Logger } from 'pino';
import type { CardAuthorisationRequest } from '@bank/shared-contracts';
import { afterPrimaryFailure, decideDestination, type Platform, type PrimaryFailure } from './destination';
import { gatewayErrors, type GatewayError } from './errors';
import type { GatewayMetrics, MessageOutcome } from './metrics';
import { ForwardFailure, forwardToPlatform, type PlatformAnswer } from './platform-forwarding';
import { PrimaryServerError, isBreakerRejection, type PrimaryBreaker } from './primary-breaker';
import type { Routing } from './routing';
import type { SchemeMessageKind } from './scheme-messages';
import type { TimeoutReversals } from './timeout-reversals';
import { answeredIssuerUnavailable, type PrimaryView } from './primary-view';

/** What the gateway sends back to the network for one message. */
export type GatewayAnswer = { readonly kind: 'platform'; readonly answer: PlatformAnswer } | { readonly kind: 'gateway'; readonly error: GatewayError };

export interface DispatchDependencies {
  readonly primaryUrl: string;
  readonly standinUrl: string;
  /** The gateway's own credential (GATEWAY_TOKEN), presented to both platforms with every message. */
  readonly credential: string;
  readonly autoFailover: boolean;
  readonly deadlinesMs: { readonly card: number; readonly fps: number };
  readonly routing: Routing;
  readonly breaker: PrimaryBreaker;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** Where the reversals owed for card authorisations answered 91 are recorded. */
  readonly reversals: Pick<TimeoutReversals, 'owe'>;
  /** Told how each message sent to primary ended (stand-in's autopilot reads the counts). */
  readonly primaryView?: Pick<PrimaryView, 'record'>;
}

/**
 * The part of the network's deadline spent waiting for a platform. The rest (an eighth, at most
 * 150 ms) is kept for the gateway's own answer: recording, on disk, the timeout reversal a 91 owes,
 * then writing the 504, so it reaches the network before its deadline rather than at it.
 */
export function forwardBudgetMs(deadlineMs: number): number {
  return deadlineMs - Math.min(150, Math.floor(deadlineMs / 8));
}

/** The promise's value if it settles within `ms`, otherwise undefined (it goes on regardless). */
async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `message` is the body as validated against the kind's schema; `body` is what is forwarded, byte for byte. */
export type Dispatch = (kind: SchemeMessageKind, body: Buffer, message: unknown, keyForLogs: Record<string, string>) => Promise<GatewayAnswer>;

/**
 * Sends one validated message to the platform the routing picks and brings back its answer, or the
 * gateway's own answer when there is none in time. Never sends a message to both platforms unless
 * primary provably never received it.
 */
export function createDispatch(deps: DispatchDependencies): Dispatch {
  const targets = {
    primary: { platform: 'primary', url: deps.primaryUrl, credential: deps.credential },
    standin: { platform: 'standin', url: deps.standinUrl, credential: deps.credential },
  } as const;

  return async (kind, body, message, keyForLogs) => {
    const deadlineMs = kind.scheme === 'card' ? deps.deadlinesMs.card : deps.deadlinesMs.fps;
    const budgetMs = forwardBudgetMs(deadlineMs);
    const started = performance.now();
    const signal = AbortSignal.timeout(budgetMs);
    const remainingMs = () => Math.max(0, Math.round(budgetMs - (performance.now() - started)));
    const finish = (answer: GatewayAnswer, destination: Platform | 'none', outcome: MessageOutcome, logged: Record<string, string> = {}): GatewayAnswer => {
      deps.metrics.messages.inc({ message: kind.name, destination, outcome });
      deps.metrics.forwardSeconds.observe({ message: kind.name, destination }, (performance.now() - started) / 1000);
      if (outcome === 'no_answer')
        deps.logger.warn(
          {
            event: 'no_answer',
            message: kind.name,
            destination,
            ...keyForLogs,
            ...logged,
            reason: answer.kind === 'gateway' ? answer.error.message : undefined,
          },
          'answered the network 504: no platform answer in time',
        );
      return answer;
    };
    /**
     * The network hears 91 for a message `platform` may have received and may still act on. For a
     * card authorisation the gateway then owes that platform a timeout reversal: recorded (on disk)
     * here, before the 91 is returned for sending, so it is owed even if the gateway dies next. A
     * disk too slow to record it within the gateway's deadline does not hold the 91 back: the
     * network's deadline is the harder promise (and the network sends its own 0420 for what it
     * timed out); the write goes on, and its late outcome is logged.
     */
    const noAnswer = async (platform: Platform, failure: PrimaryFailure, description: string, consequence: string) => {
      const logged: Record<string, string> = {};
      if (kind.name === 'card_authorisation' && failure === 'no_answer') {
        const owed = deps.reversals.owe(platform, message as CardAuthorisationRequest);
        const outcome = await settledWithin(owed, deadlineMs - (performance.now() - started));
        logged.timeoutReversal = outcome ?? 'recording';
        if (outcome === undefined) {
          void owed.then((late) =>
            deps.logger.warn(
              { event: 'timeout_reversal_recorded_late', message: kind.name, destination: platform, ...keyForLogs, timeoutReversal: late },
              "the timeout reversal this 91 owes reached the disk after the 91 was answered: the disk was slower than the gateway's deadline",
            ),
          );
        }
      }
      return finish(
        {
          kind: 'gateway',
          error: gatewayErrors.noAnswer(`${description} (${kind.scheme === 'card' ? 'card' : 'Faster Payments'} deadline ${deadlineMs} ms); ${consequence}`),
        },
        platform,
        'no_answer',
        logged,
      );
    };
    const sendToStandin = async (): Promise<GatewayAnswer> => {
      try {
        return finish({ kind: 'platform', answer: await forwardToPlatform(targets.standin, kind.path, body, signal, remainingMs()) }, 'standin', 'answered');
      } catch (error) {
        if (!(error instanceof ForwardFailure)) throw error;
        return noAnswer('standin', error.failure, error.description, "apply the network's stand-in rules");
      }
    };

    const decision = decideDestination(deps.routing.inputs(), kind);
    if (decision.destination === 'deferred')
      return finish({ kind: 'gateway', error: gatewayErrors.clearingDeferred(decision.route.reason) }, 'none', 'deferred');
    if (decision.destination === 'standin') return sendToStandin();

    let failure: PrimaryFailure;
    let description: string;
    try {
      const answer = await deps.breaker.run(async () => {
        const answered = await forwardToPlatform(targets.primary, kind.path, body, signal, budgetMs);
        // Primary asking for a message again later (503 with Retry-After, e.g. a clearing whose
        // authorisation it does not know yet) is primary working as meant: not held against it.
        if (answered.status >= 500 && !(answered.status === 503 && answered.retryAfter !== undefined)) throw new PrimaryServerError(answered);
        return answered;
      });
      deps.primaryView?.record(kind.name === 'card_authorisation' && answeredIssuerUnavailable(answer.body) ? 'issuerUnavailable' : 'answered');
      return finish({ kind: 'platform', answer }, 'primary', 'answered');
    } catch (error) {
      if (error instanceof PrimaryServerError) {
        deps.primaryView?.record('serverError');
        return finish({ kind: 'platform', answer: error.answer as PlatformAnswer }, 'primary', 'answered');
      }
      // Nothing was sent when the breaker refused: the breaker's state says that part.
      if (error instanceof ForwardFailure) deps.primaryView?.record(error.failure === 'not_sent' ? 'connectionFailed' : 'timedOut');
      else if (!isBreakerRejection(error)) deps.primaryView?.record('timedOut');
      if (isBreakerRejection(error)) {
        failure = 'not_sent';
        description = 'primary was not tried: its circuit breaker is open after repeated failures';
      } else if (error instanceof ForwardFailure) {
        failure = error.failure;
        description = error.description;
      } else {
        // Not a failure the forward knows: assume primary may have the message.
        failure = 'no_answer';
        description = `primary failed unexpectedly (${(error as Error).message})`;
        deps.logger.error({ err: error, message: kind.name, ...keyForLogs }, 'forwarding to primary failed unexpectedly');
      }
    }

    // ECONNREFUSED (or the breaker refusing to try) means primary never saw a byte of this
    // message, so with automatic failover on it is safe to let stand-in decide it instead. A
    // timeout is different: primary may have approved it, and a second approval at stand-in would
    // charge the customer twice, so it is never retried anywhere.
    switch (afterPrimaryFailure(failure, deps.autoFailover, kind)) {
      case 'standin':
        deps.metrics.failovers.inc({ message: kind.name });
        deps.logger.info({ event: 'message_failover', message: kind.name, ...keyForLogs, reason: description }, 'sent to stand-in: primary never received it');
        return sendToStandin();
      case 'deferred':
        return finish({ kind: 'gateway', error: gatewayErrors.clearingDeferred(description) }, 'none', 'deferred');
      case 'no_answer':
        return noAnswer(
          'primary',
          failure,
          description,
          failure === 'no_answer' ? 'not retried at stand-in, as primary may have acted on it' : 'automatic failover is off, so it was not sent to stand-in',
        );
    }
  };
}
