import type { Logger } from 'pino';
import { INITIAL_CONFIGURATION, type ConfigurationDocument } from '@bank/shared-contracts';
import type { PrimaryMetrics } from '../platform/metrics';
import type { ConfigurationStore } from './configuration-store';

// The configuration the payment path routes with, read synchronously from memory: a card
// authorisation must never wait on the database (or anything else) to learn where it goes. The
// database is read in the background; when it cannot be, routing keeps the last document it had
// rather than guessing.

export interface ConfigurationCache {
  /** The newest document this process knows of. Never waits. */
  current(): ConfigurationDocument;
  /** A document just written or adopted here, so routing follows it at once instead of at the next refresh. */
  offer(document: ConfigurationDocument): void;
  /** Reads the database once; a failure is logged and the last known document kept. Never throws. */
  refresh(): Promise<void>;
  /** Refreshes every `intervalMs` until stopped. */
  startRefreshing(intervalMs: number): { stop(): Promise<void> };
}

export function createConfigurationCache(deps: { store: ConfigurationStore; logger: Logger; metrics: PrimaryMetrics }): ConfigurationCache {
  const { store, logger, metrics } = deps;
  let document: ConfigurationDocument = INITIAL_CONFIGURATION;
  let failingSince: Date | undefined;
  let inFlight: Promise<void> | undefined;
  metrics.configurationVersion.set(document.version);

  function offer(next: ConfigurationDocument): void {
    // A refresh that read the database just before a local write commits must not roll routing back.
    if (next.version < document.version) return;
    if (next.version > document.version)
      logger.info({ version: next.version, updatedBy: next.updatedBy, reason: next.reason }, 'routing with a new stand-in configuration');
    document = next;
    metrics.configurationVersion.set(next.version);
  }

  async function readOnce(): Promise<void> {
    try {
      offer(await store.current());
      if (failingSince) logger.info({ since: failingSince.toISOString(), version: document.version }, 'configuration readable again');
      failingSince = undefined;
    } catch (error) {
      // One warning per outage, not one a second.
      if (!failingSince)
        logger.warn({ err: error, version: document.version }, 'cannot read the configuration from the database; routing keeps the last known version');
      failingSince ??= new Date();
    }
  }

  function refresh(): Promise<void> {
    // A slow database must not pile up reads: callers during one share it.
    inFlight ??= readOnce().finally(() => (inFlight = undefined));
    return inFlight;
  }

  return {
    current: () => document,
    offer,
    refresh,
    startRefreshing(intervalMs) {
      const timer = setInterval(() => void refresh(), intervalMs);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await inFlight;
        },
      };
    },
  };
}
