import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config';
import type { BreakerState } from './destination';
import { createDispatch } from './message-dispatch';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { createPrimaryBreaker } from './primary-breaker';
import { createRouting, type Routing } from './routing';
import { createGatewayServer } from './server';
import { openReversalStore } from './reversal-store';
import { startConfigurationPoller } from './standin-configuration';
import { startTimeoutReversals, type TimeoutReversals } from './timeout-reversals';
import { startPrimaryView, type PrimaryView } from './primary-view';

export interface Gateway {
  readonly server: FastifyInstance;
  readonly routing: Routing;
  readonly metrics: GatewayMetrics;
  readonly reversals: TimeoutReversals;
  /** What the gateway sees of primary (GET /primary-view, for stand-in's autopilot). */
  readonly primaryView: PrimaryView;
  /** Resolves once stand-in's configuration has been read once (or could not be). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * What the breaker's probe asks primary, by whether the gateway has anywhere else to send traffic:
 * - automatic failover on: `/health`, "can primary decide?" (its database answers). While primary
 *   cannot, the open breaker keeps traffic on stand-in, which can.
 * - automatic failover off: `/health/route`, "can primary route?" (the process answers from
 *   memory). Primary that cannot decide still answers every card message in time (its own 91, or
 *   stand-in's decision when the engineers route payments there), whereas an open breaker answers
 *   all of them 91 without trying: so the breaker closes as soon as primary can route.
 */
export function primaryProbePath(autoFailover: boolean): string {
  return autoFailover ? '/health' : '/health/route';
}

/** Asks primary whether it is back, within a card deadline; any other answer than 2xx is "not yet". */
async function probePrimary(primaryUrl: string, path: string, timeoutMs: number): Promise<void> {
  const response = await fetch(`${primaryUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`primary's ${path} answered HTTP ${response.status}`);
}

/** The gateway's parts wired together; `listen` is the caller's (main, or a test's inject). */
export function createGateway(config: GatewayConfig, logger: Logger, now: () => Date = () => new Date()): Gateway {
  const metrics = createGatewayMetrics();
  const routing = createRouting({ autoFailover: config.autoFailover, logger, metrics, now });
  const probePath = primaryProbePath(config.autoFailover);
  const breaker = createPrimaryBreaker(config.breaker, () => probePrimary(config.primaryUrl, probePath, config.cardDeadlineMs));
  const reversals = startTimeoutReversals({
    store: openReversalStore(config.dataDir),
    urls: { primary: config.primaryUrl, standin: config.standinUrl },
    credential: config.credential,
    panSealKey: config.panSealKey,
    settings: config.timeoutReversals,
    metrics,
    logger,
  });
  let breakerWas: BreakerState = 'closed';
  breaker.onStateChange((state) => {
    // Opening and closing matter to operators; the probe cycle in between (half open, failed
    // probe, open again) repeats every reset interval through an outage and would drown them.
    const cycle = state === 'halfOpen' || (state === 'open' && breakerWas === 'halfOpen');
    const line = { event: 'primary_breaker', state, was: breakerWas };
    if (cycle)
      logger.debug(line, `primary's circuit breaker is ${state === 'halfOpen' ? 'half open: probing primary' : 'open again: primary failed its probe'}`);
    else logger.warn(line, `primary's circuit breaker is ${state}`);
    breakerWas = state;
    routing.primaryBreakerChanged(state);
  });
  const primaryView = startPrimaryView({ primaryUrl: config.primaryUrl, breakerOpen: () => breaker.state() !== 'closed', logger, now });
  const dispatch = createDispatch({
    primaryUrl: config.primaryUrl,
    standinUrl: config.standinUrl,
    credential: config.credential,
    autoFailover: config.autoFailover,
    deadlinesMs: { card: config.cardDeadlineMs, fps: config.fpsDeadlineMs },
    routing,
    breaker,
    metrics,
    logger,
    reversals,
    primaryView,
  });
  const server = createGatewayServer({
    dispatch,
    routing,
    metrics,
    logger,
    reversals,
    networkCredentials: config.networkCredentials,
    standinCredentials: config.standinCredentials,
    primaryView,
    serveApiDocs: config.serveApiDocs,
  });
  const poller = startConfigurationPoller({
    url: config.standinUrl,
    token: config.credential,
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
    reversals,
    primaryView,
    ready: poller.firstRead,
    async stop() {
      await poller.stop();
      // Messages in flight are answered first: a 91 among them may still record a reversal.
      await server.close();
      await reversals.stop();
      await primaryView.stop();
      breaker.shutdown();
    },
  };
}
