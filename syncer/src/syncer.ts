import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Database, StandinCardKeys } from '@bank/standin';
import { systemClock, type Clock } from './clock';
import type { KafkaConnection } from './kafka-client';
import { startEventConsumer, type ConsumerState, type EventConsumer, type EventConsumerOptions } from './consume-events';
import { createLagRecorder, type LagRecorder } from './lag';
import { createSyncerMetrics, type SyncerMetrics } from './metrics';
import { buildSyncerServer, type SyncerHealth } from './server';
import { countUnfilledGaps } from './sync-gaps';

/** How long /health waits for stand-in's database to answer `select 1`. */
const HEALTH_DATABASE_BUDGET_MS = 1_000;

export interface SyncerDependencies {
  readonly database: Database;
  readonly kafka: KafkaConnection;
  readonly keys: StandinCardKeys;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface SyncerOptions extends EventConsumerOptions {
  readonly lagAppetiteMs: number;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly host?: string;
  /** Wait between attempts to start the consumer while Kafka is not reachable. */
  readonly startRetryDelayMs?: number;
  /** How often to check whether Kafka has gone silent (the lag's silence alert). */
  readonly silenceCheckMs?: number;
}

export interface RunningSyncer {
  /** Where /health and /metrics are. */
  readonly url: string;
  readonly metrics: SyncerMetrics;
  readonly lag: LagRecorder;
  /** Resolves once the consumer has connected and subscribed (it keeps trying until then). */
  readonly consumerStarted: Promise<void>;
  consumerState(): ConsumerState;
  health(): Promise<SyncerHealth>;
  stop(): Promise<void>;
}

/** The syncer as one unit: the consumer, its lag measurement, and the /health and /metrics server. */
export async function startSyncer(deps: SyncerDependencies, options: SyncerOptions): Promise<RunningSyncer> {
  const clock = deps.clock ?? systemClock;
  const metrics = createSyncerMetrics({ unfilledGaps: () => countUnfilledGaps(deps.database) });
  const lag = createLagRecorder({ database: deps.database, metrics, logger: deps.logger, appetiteMs: options.lagAppetiteMs, startedAt: clock.now() });
  // Kafka going quiet is only noticed by looking: nothing arrives to measure.
  let silenceCheck: Promise<void> | undefined;
  const silenceTimer = setInterval(
    () => void (silenceCheck ??= lag.checkSilence(clock.now()).finally(() => (silenceCheck = undefined))),
    options.silenceCheckMs ?? 1_000,
  );
  silenceTimer.unref();
  const stopping = new AbortController();
  let consumer: EventConsumer | undefined;
  let stopped: Promise<void> | undefined;

  const consumerState = (): ConsumerState => consumer?.state() ?? (stopping.signal.aborted ? 'stopped' : 'starting');
  const health = async (): Promise<SyncerHealth> => {
    // Within a second: a paused database must not hold a health check past its own timeout.
    const database = await Promise.race([
      deps.database.query('select 1').then(
        () => 'ok' as const,
        () => 'unreachable' as const,
      ),
      sleep(HEALTH_DATABASE_BUDGET_MS, 'unreachable' as const, { ref: false }),
    ]);
    const last = lag.last;
    const silentForMs = lag.silentForMs;
    return {
      status: consumer && !consumer.live() ? 'unhealthy' : 'ok',
      consumer: consumerState(),
      database,
      ...(last || silentForMs !== undefined
        ? {
            lag: {
              lagMs: Math.max(last?.lagMs ?? 0, silentForMs ?? 0),
              alerting: lag.alerting,
              ...(last ? { appliedAt: last.appliedAt.toISOString() } : {}),
              ...(silentForMs === undefined ? {} : { kafkaSilentForMs: silentForMs }),
            },
          }
        : {}),
    };
  };

  const server = buildSyncerServer({ registry: metrics.registry, health, log: deps.logger });
  const address = await server.listen({ port: options.port, host: options.host ?? '127.0.0.1' });

  // Listening first: if the port is taken, nothing has joined the group yet. Kafka may be
  // down when the syncer starts: keep trying, and say so in /health meanwhile.
  const consumerStarted = (async () => {
    while (!stopping.signal.aborted) {
      try {
        consumer = await startEventConsumer({ kafka: deps.kafka, database: deps.database, keys: deps.keys, logger: deps.logger, metrics, lag, clock }, options);
        return;
      } catch (error) {
        deps.logger.warn({ err: error }, 'could not start the Kafka consumer; trying again');
        await sleep(options.startRetryDelayMs ?? 5_000, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  })();

  return {
    url: address,
    metrics,
    lag,
    consumerStarted,
    consumerState,
    health,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        clearInterval(silenceTimer);
        await silenceCheck;
        await consumerStarted;
        await consumer?.stop();
        await server.close();
      })();
      return stopped;
    },
  };
}
