import type { Logger } from 'pino';
import type { OutboundTransfers } from './outbound-transfers';

// Outbound Faster Payments whose outcome is unknown hold the customer's money until the scheme
// answers, so something must keep asking: this loop, every `intervalMs`, until each one is
// settled. It also finishes payments a crash left between reserving and settling.

export interface OutboundRetries {
  stop(): Promise<void>;
}

export function startOutboundRetries(deps: { transfers: Pick<OutboundTransfers, 'retryUnanswered'>; logger: Logger; intervalMs: number }): OutboundRetries {
  const { logger } = deps;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let unansweredBefore = 0;

  const pass = async () => {
    try {
      const result = await deps.transfers.retryUnanswered();
      if (result.tried === 0) return;
      // One line per pass, not per payment: a scheme outage must not flood the log.
      if (result.unknown.length > 0) {
        logger.warn(
          { unanswered: result.unknown.length, settled: result.settled, first: result.unknown[0] },
          'outbound Faster Payments still without a scheme answer; asking again later',
        );
      } else if (unansweredBefore > 0) {
        logger.info({ settled: result.settled }, 'the Faster Payments scheme answers again');
      }
      unansweredBefore = result.unknown.length;
    } catch (failure) {
      logger.error({ err: failure }, 'retrying outbound Faster Payments failed; trying again next pass');
    }
  };

  // Rescheduled after each pass, never on a fixed beat: a slow pass cannot pile up behind itself.
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = pass().finally(() => {
      if (!stopped) timer = setTimeout(tick, deps.intervalMs);
    });
  };
  timer = setTimeout(tick, deps.intervalMs);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
