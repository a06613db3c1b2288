import type { LaunchSpec } from './process-control';

export const COMPONENT_NAMES = ['pg-primary', 'pg-standin', 'redis-primary', 'redis-standin', 'kafka', 'pubsub'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export function isComponentName(name: string): name is ComponentName {
  return (COMPONENT_NAMES as readonly string[]).includes(name);
}

export type Probe = { healthy: true } | { healthy: false; reason: string };

/** One real server (or one of the project's services) the project runs as a local process. */
export interface Component {
  readonly name: string;
  /** What it is, for `status`. */
  readonly description: string;
  /** Where clients connect, for `status` and `npm start`'s summary. */
  readonly endpoint: string;
  readonly ports: readonly number[];
  /** The network namespace it runs in (the hosts topology); undefined: this machine's own. */
  readonly netns?: string;
  /** Its own folder under .data/: data, pid file, log. */
  readonly directory: string;
  readonly logFile: string;
  /** How long a cold start may take before `up` gives up on it. */
  readonly startTimeoutMs: number;
  /** How long a graceful stop may take before SIGKILL (default 20 s). */
  readonly stopGraceMs?: number;
  /** Finds (or installs) the binaries and fails with what to install. */
  ensureInstalled(): void;
  /** One-time, idempotent preparation before the first start: initdb, storage format, jar fetch. */
  prepare(): Promise<void>;
  launchSpec(): LaunchSpec;
  /** Answers within timeoutMs: healthy, or why not. */
  probe(timeoutMs: number): Promise<Probe>;
  /** After every healthy start: databases, topics, subscriptions. Idempotent. */
  provision(): Promise<void>;
}
