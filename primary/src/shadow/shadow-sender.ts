import CircuitBreaker from 'opossum';
import type { Logger } from 'pino';
import {
  SHADOW_ROUTES,
  ShadowVerdict,
  safeParseContract,
  type CardAuthorisationRequest,
  type CardAuthorisationResponse,
  type ShadowCardAuthorisation,
} from '@bank/shared-contracts';
import type { Clock } from '../platform/clock';
import type { PrimaryMetrics } from '../platform/metrics';

// Shadow decisioning, primary's side: copies of card authorisations primary has already answered
// go to stand-in, which decides them without effect. Everything here happens after the network
// has its answer and is allowed to fail: the queue is bounded and drops when full, a few sends at
// a time, each with a timeout, behind a breaker. A slow or dead stand-in costs primary a full
// queue and one failed call per reset period, never latency or an answer.

export interface ShadowAccount {
  readonly accountId: string;
  /** Absent when the account has no events yet. */
  readonly accountSequence?: number;
}

/** The account primary holds the card on, and its last event sequence; undefined for a card primary does not know. */
export type AccountOfCard = (request: Pick<CardAuthorisationRequest, 'pan' | 'stan' | 'rrn' | 'terminalId'>) => Promise<ShadowAccount | undefined>;

export interface ShadowSenderOptions {
  /** Messages waiting to be sent; beyond this they are dropped (and counted). */
  readonly queueSize: number;
  /** Sends in flight at once. */
  readonly concurrency: number;
  /** How long one send waits for stand-in's verdict. */
  readonly timeoutMs: number;
  /** How long the breaker stays open before one trial call. */
  readonly resetTimeoutMs: number;
}

export const DEFAULT_SHADOW_OPTIONS: ShadowSenderOptions = { queueSize: 1_000, concurrency: 2, timeoutMs: 1_000, resetTimeoutMs: 5_000 };

export interface ShadowSender {
  /** Queues a copy of a message primary decided and answered. Never waits, never throws; false when it was dropped. */
  offer(request: CardAuthorisationRequest, answer: CardAuthorisationResponse): boolean;
  /** Queued and in flight. */
  pending(): number;
  /** Drops what is queued (shadowing is best effort), waits for the sends in flight, stops the breaker. */
  stop(): Promise<void>;
}

interface Queued {
  readonly request: CardAuthorisationRequest;
  readonly answer: CardAuthorisationResponse;
  readonly answeredAt: string;
}

class ShadowSendFailed extends Error {
  override readonly name = 'ShadowSendFailed';
}

export function startShadowSender(deps: {
  standinUrl: string;
  /** Primary's own credential (PRIMARY_TOKEN): stand-in's shadow route is primary's only. */
  primaryCredential: string;
  accountOf: AccountOfCard;
  clock: Clock;
  logger: Logger;
  metrics: PrimaryMetrics;
  options?: Partial<ShadowSenderOptions>;
}): ShadowSender {
  const { accountOf, clock, logger, metrics } = deps;
  const options = { ...DEFAULT_SHADOW_OPTIONS, ...deps.options };
  const url = `${deps.standinUrl}${SHADOW_ROUTES.cardAuthorisations}`;

  const post = async (message: ShadowCardAuthorisation): Promise<ShadowVerdict> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${deps.primaryCredential}`, 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new ShadowSendFailed(`stand-in answered HTTP ${response.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ShadowSendFailed('stand-in answered without a JSON body');
    }
    const verdict = safeParseContract('shadow verdict', ShadowVerdict, body);
    if (!verdict.ok) throw new ShadowSendFailed(`stand-in's verdict is invalid: ${verdict.error.message}`);
    return verdict.value;
  };
  const breaker = new CircuitBreaker(post, {
    timeout: options.timeoutMs,
    volumeThreshold: 5,
    errorThresholdPercentage: 50,
    resetTimeout: options.resetTimeoutMs,
    name: 'standin-shadow',
  });

  const queue: Queued[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  // Logged when a problem starts and when it ends, not per message: under load that would be
  // thousands of lines about one fact.
  let failing: string | undefined;
  let dropping = false;

  function failed(kind: string, message: string, details: Record<string, unknown>): void {
    metrics.shadowMessages.inc({ outcome: 'failed' });
    if (failing !== kind) logger.warn({ kind, ...details }, `shadow message not decided by stand-in: ${message}`);
    else logger.debug({ kind, ...details }, `shadow message not decided by stand-in: ${message}`);
    failing = kind;
  }

  async function send(item: Queued): Promise<void> {
    const key = { stan: item.request.stan, rrn: item.request.rrn, terminalId: item.request.terminalId };
    // Stand-in known to be down: not even the account lookup, so a dead stand-in costs primary's database nothing.
    if (breaker.opened) {
      failed('circuit_open', 'stand-in failed recently; not sending until the breaker half-opens', key);
      return;
    }
    let account: ShadowAccount | undefined;
    try {
      account = await accountOf(item.request);
    } catch (error) {
      // Without the account's sequence stand-in cannot tell sync lag from a defect: better not sent than misjudged.
      failed('lookup', `could not look up the card's account (${(error as Error).message})`, key);
      return;
    }
    const message: ShadowCardAuthorisation = {
      request: item.request,
      primaryAnswer: item.answer,
      primaryAnsweredAt: item.answeredAt,
      ...(account ? { accountId: account.accountId } : {}),
      ...(account?.accountSequence === undefined ? {} : { accountSequence: account.accountSequence }),
    };
    let verdict: ShadowVerdict;
    try {
      verdict = (await breaker.fire(message)) as ShadowVerdict;
    } catch (error) {
      const { code, message: why } = error as { code?: string; message?: string };
      const reason = code === 'EOPENBREAKER' ? 'circuit_open' : code === 'ETIMEDOUT' || (error as Error).name === 'TimeoutError' ? 'timeout' : 'standin';
      failed(reason, why ?? String(error), key);
      return;
    }
    if (failing) logger.info({ after: failing }, 'shadow messages reach stand-in again');
    failing = undefined;
    metrics.shadowMessages.inc({ outcome: 'sent' });
    if (!verdict.agrees) {
      metrics.shadowMessages.inc({ outcome: 'disagreed' });
      logger.debug(
        { ...key, primaryResponseCode: item.answer.responseCode, standinResponseCode: verdict.responseCode, disagreement: verdict.disagreement },
        'stand-in decided a shadow message differently',
      );
    }
  }

  function pump(): void {
    while (!stopped && inFlight.size < options.concurrency && queue.length > 0) {
      const item = queue.shift()!;
      metrics.shadowQueueDepth.set(queue.length);
      // send() settles on every path; catch is only so that a bug here can never become an unhandled rejection.
      const sending: Promise<void> = send(item)
        .catch((error: unknown) => logger.error({ err: error }, 'shadow send failed unexpectedly'))
        .finally(() => {
          inFlight.delete(sending);
          pump();
        });
      inFlight.add(sending);
    }
  }

  metrics.shadowQueueDepth.set(0);
  return {
    offer(request, answer) {
      if (stopped) return false;
      if (queue.length >= options.queueSize) {
        metrics.shadowMessages.inc({ outcome: 'dropped' });
        if (!dropping) logger.warn({ queueSize: options.queueSize }, 'shadow queue full: dropping shadow messages until stand-in catches up');
        dropping = true;
        return false;
      }
      if (dropping) logger.info('shadow queue has room again');
      dropping = false;
      queue.push({ request, answer, answeredAt: clock.now().toISOString() });
      metrics.shadowQueueDepth.set(queue.length);
      pump();
      return true;
    },
    pending: () => queue.length + inFlight.size,
    async stop() {
      stopped = true;
      queue.length = 0;
      metrics.shadowQueueDepth.set(0);
      await Promise.allSettled([...inFlight]);
      breaker.shutdown();
    },
  };
}
