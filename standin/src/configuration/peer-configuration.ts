import type { Logger } from 'pino';
import { CONFIGURATION_ROUTES, ConfigurationDocument, sameConfiguration } from '@bank/shared-contracts';
import type { Database } from '../store/database';
import { adoptConfiguration, currentConfiguration, settleSplit } from './configuration-store';

// Convergence: stand-in reads primary's configuration every few seconds and takes it if it is
// newer. A change made on primary while stand-in was down (or cut off) arrives here when stand-in
// is back; primary does the same the other way round. Only ever the higher version: never merged.
// Two different documents at one version (a change on each side of a partition) are settled here,
// by stand-in's own, as a new version (settleSplit).

export interface PeerConfigurationDependencies {
  readonly database: Database;
  readonly logger: Logger;
  readonly primaryUrl: string;
  /** Stand-in's own credential (STANDIN_TOKEN), presented to read primary's configuration. */
  readonly standinCredential: string;
  readonly intervalMs: number;
  readonly onCurrent?: (document: ConfigurationDocument) => void;
  /** When a split is settled; default the system clock. */
  readonly now?: () => Date;
}

export interface PeerConfiguration {
  /** One pass: read primary's document, adopt it if newer. Exposed for tests and start-up. */
  pullOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startPeerConfiguration(deps: PeerConfigurationDependencies): PeerConfiguration {
  const { logger } = deps;
  let unreachableSince: Date | undefined;
  let running: Promise<void> = Promise.resolve();

  const pullOnce = async () => {
    let offered: ConfigurationDocument;
    try {
      const response = await fetch(`${deps.primaryUrl}${CONFIGURATION_ROUTES.current}`, {
        headers: { authorization: `Bearer ${deps.standinCredential}` },
        signal: AbortSignal.timeout(1_000),
      });
      if (!response.ok) throw new Error(`primary answered ${response.status}`);
      offered = ConfigurationDocument.parse(await response.json());
    } catch (failure) {
      // Primary being down is what stand-in exists for: one line when it goes, one when it is back.
      if (!unreachableSince) logger.warn({ reason: (failure as Error).message }, "cannot read primary's configuration; keeping stand-in's own");
      unreachableSince ??= new Date();
      return;
    }
    if (unreachableSince) logger.info({ since: unreachableSince.toISOString() }, "primary's configuration is readable again");
    unreachableSince = undefined;
    const current = await currentConfiguration(deps.database);
    if (offered.version > current.version) {
      await adoptConfiguration(deps.database, offered, 'peer:primary');
      logger.warn({ version: offered.version, updatedBy: offered.updatedBy, reason: offered.reason }, "adopted primary's newer configuration");
      deps.onCurrent?.(offered);
    } else if (offered.version === current.version && !sameConfiguration(offered, current)) {
      const settled = await settleSplit(deps.database, offered, (deps.now ?? (() => new Date()))());
      if (!settled) return;
      logger.error(
        {
          version: current.version,
          settledBy: settled.version,
          standin: { updatedBy: current.updatedBy, updatedAt: current.updatedAt, reason: current.reason },
          primary: { updatedBy: offered.updatedBy, updatedAt: offered.updatedAt, reason: offered.reason },
        },
        "primary and stand-in held different documents at the same version (a change on each side while they could not reach each other): stand-in's stands, as a new version primary adopts; primary's change is dropped, and an engineer should check it is not needed",
      );
      deps.onCurrent?.(settled);
    }
  };

  // A tick that finds the previous pass still going (a slow primary, stand-in's database busy) skips it: passes never queue up.
  let passGoing = false;
  const timer = setInterval(() => {
    if (passGoing) return;
    passGoing = true;
    running = pullOnce()
      .catch((failure: unknown) => logger.error({ err: failure }, 'configuration peer sync failed'))
      .finally(() => (passGoing = false));
  }, deps.intervalMs);
  return {
    pullOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
