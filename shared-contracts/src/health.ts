import { isIP } from 'node:net';
import { z } from 'zod';

// What every service answers a load balancer or an orchestrator, in the same shape, so one
// health check (HAProxy's, a Kubernetes probe) reads them all. Two questions, asked separately:
// /health/live — does the process run (a restart would help only when this fails)?
// /health/ready — do its own dependencies answer (send it traffic)? A dependency that is down
// takes an instance out of rotation; it does not get it restarted.

export const Liveness = z.strictObject({ status: z.literal('live') });
export type Liveness = z.infer<typeof Liveness>;

/** One dependency's state: what was asked, and whether it answered within its budget. */
export const DependencyCheck = z.enum(['ok', 'unreachable', 'not_used']);
export type DependencyCheck = z.infer<typeof DependencyCheck>;

export const Readiness = z.strictObject({
  status: z.enum(['ready', 'unready']),
  /** Each dependency by name (database, redis, kafka, pubsub, primary, ...). */
  checks: z.record(z.string(), z.string()),
});
export type Readiness = z.infer<typeof Readiness>;

/** The address a service listens on (HOST): loopback unless told otherwise, so a laptop exposes nothing. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

const HOSTNAME_PATTERN = /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/;

/** HOST from the environment: an IP address (`0.0.0.0`, `::` for all interfaces) or a host name. */
export function listenHostFromEnvironment(env: Readonly<Record<string, string | undefined>>): string {
  const raw = env.HOST;
  if (raw === undefined || raw === '') return DEFAULT_LISTEN_HOST;
  if (isIP(raw) === 0 && !HOSTNAME_PATTERN.test(raw)) {
    throw new Error(`HOST=${raw} is not an address to listen on: expected an IP address (e.g. 0.0.0.0 for every interface) or a host name`);
  }
  return raw;
}
