import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config';
import type { BreakerState } from './destination';
import { createDispatch } from './message-dispatch';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { createPrimaryBreaker } from './primary-breaker';
import { createRouting, type Routing } from './routing';
import { createGatewayServer } from './server';
import { startConfigurationPoller } from './standin-configuration';

export interface Gateway {
  readonly server: FastifyInstance;
  readonly routing: Routing;
  readonly metrics: GatewayMetrics;
  /** Resolves once stand-in's configuration has been read once (or could not be). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** Asks primary's /health whether it is back, within a card deadline; any other answer than 2xx is "not yet". */
async function probePrimary(primaryUrl: string, timeoutMs: number): Promise<void> {
  const response = await fetch(`${primaryUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`primary's /health answered HTTP ${response.status}`);
}

/** The gateway's parts wired together; `listen` is the caller's (main, or a test's inject). */
export function createGateway(config: GatewayConfig, logger: Logger, now: () => Date = () => new Date()): Gateway {
  const metrics = createGatewayMetrics();
  const routing = createRouting({ autoFailover: config.autoFailover, logger, metrics, now });
  const breaker = createPrimaryBreaker(config.breaker, () => probePrimary(config.primaryUrl, config.cardDeadlineMs));
  let breakerWas: BreakerState = 'closed';
  breaker.onStateChange((state) => {
    // Opening and closing matter to operators; the probe cycle in between (half open, failed
    // probe, open again) repeats every reset interval through an outage and would drown them.
    const cycle = state === 'halfOpen' || (state === 'open' && breakerWas === 'halfOpen');
    const line = { event: 'primary_breaker', state, was: breakerWas };
    if (cycle) logger.debug(line, `primary's circuit breaker is ${state === 'halfOpen' ? 'half open: probing primary' : 'open again: primary failed its probe'}`);
    else logger.warn(line, `primary's circuit breaker is ${state}`);
    breakerWas = state;
    routing.primaryBreakerChanged(state);
  });
  const dispatch = createDispatch({
    primaryUrl: config.primaryUrl,
    standinUrl: config.standinUrl,
    autoFailover: config.autoFailover,
    deadlinesMs: { card: config.cardDeadlineMs, fps: config.fpsDeadlineMs },
    routing,
    breaker,
    metrics,
    logger,
  });
  const server = createGatewayServer({ dispatch, routing, metrics, logger });
  const poller = startConfigurationPoller({
    url: config.standinUrl,
    token: config.standinInternalToken,
    intervalMs: config.configPollMs,
    timeoutMs: config.configTimeoutMs,
    routing,
    logger,
    now,
  });
  return {
    server,
    routing,
    metrics,
    ready: poller.firstRead,
    async stop() {
      await poller.stop();
      await server.close();
      breaker.shutdown();
    },
  };
}
