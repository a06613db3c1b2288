import { COMPONENT_NAMES, type Component, type ComponentName } from './component';
import { createComponents } from './components';
import { loadInfraConfig, type InfraConfig } from './config';
import { assertHostsAvailable, createHostNetwork, hostNetworkExists, removeHostNetwork } from './hosts/host-network';
import { restoreAllLinks } from './hosts/partition';
import { InfraError } from './infra-error';
import * as lifecycle from './lifecycle';

export interface StartReport {
  readonly name: ComponentName;
  readonly ok: boolean;
  readonly elapsedMs: number;
  readonly error?: Error;
}

/** The control surface of the whole local infrastructure: what the CLI, `npm start` and the chaos suite use. */
export interface Infra {
  readonly config: InfraConfig;
  readonly components: Record<ComponentName, Component>;
  /** Starts everything not already running and waits until all are healthy. Idempotent. */
  up(onReady?: (report: StartReport) => void): Promise<StartReport[]>;
  /** Stops everything; no process is left behind. */
  down(): Promise<ComponentName[]>;
  start(name: ComponentName): Promise<void>;
  stop(name: ComponentName): Promise<boolean>;
  kill(name: ComponentName): Promise<void>;
  pause(name: ComponentName): void;
  resume(name: ComponentName): void;
  status(): Promise<lifecycle.ComponentStatus[]>;
}

export function createInfra(config: InfraConfig = loadInfraConfig()): Infra {
  const components = createComponents(config);
  return {
    config,
    components,
    async up(onReady) {
      if (config.topology) {
        // The hosts topology: the network first. One left whole is kept (its servers may be up, and
        // `up` is idempotent) with every link restored; a partial one (a run that crashed half-way
        // through building or removing it) is removed with whatever still runs in it, and rebuilt.
        assertHostsAvailable();
        if (hostNetworkExists(config.topology)) restoreAllLinks(config.topology);
        else await createHostNetwork(config.topology);
      }
      // Binaries first, one at a time: a missing one may mean a (blocking) apt-get install.
      const notInstalled = new Map<ComponentName, Error>();
      for (const name of COMPONENT_NAMES) {
        try {
          components[name].ensureInstalled();
        } catch (error) {
          notInstalled.set(name, error as Error);
        }
      }
      // Then all at once: the JVMs dominate start-up and the rest are ready long before them.
      return Promise.all(
        COMPONENT_NAMES.map(async (name): Promise<StartReport> => {
          const began = Date.now();
          let report: StartReport;
          try {
            const missing = notInstalled.get(name);
            if (missing) throw missing;
            await lifecycle.start(components[name]);
            report = { name, ok: true, elapsedMs: Date.now() - began };
          } catch (error) {
            report = { name, ok: false, elapsedMs: Date.now() - began, error: error as Error };
          }
          onReady?.(report);
          return report;
        }),
      );
    },
    async down() {
      const stopped = await Promise.all(COMPONENT_NAMES.map(async (name) => ((await lifecycle.stop(components[name])) ? name : undefined)));
      const names = stopped.filter((name): name is ComponentName => name !== undefined);
      // Then the network, and anything still running inside it (a crashed chaos run's services).
      if (config.topology) await removeHostNetwork(config.topology);
      return names;
    },
    start: (name) => lifecycle.start(components[name]),
    stop: (name) => lifecycle.stop(components[name]),
    kill: (name) => lifecycle.kill(components[name]),
    pause: (name) => lifecycle.pause(components[name]),
    resume: (name) => lifecycle.resume(components[name]),
    status: () => Promise.all(COMPONENT_NAMES.map((name) => lifecycle.status(components[name]))),
  };
}

/** Throws one error naming every component that failed to start, each with its log. */
export function assertAllStarted(reports: readonly StartReport[]): void {
  const failed = reports.filter((report) => !report.ok);
  if (failed.length === 0) return;
  const detail = failed.map((report) => `- ${report.error?.message ?? report.name}`).join('\n');
  throw new InfraError('INFRA_START_FAILED', failed.map((report) => report.name).join(', '), `failed to start:\n${detail}`);
}
