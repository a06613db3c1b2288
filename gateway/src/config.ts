// The gateway's settings, all from the environment so `npm start`, the end-to-end tests and an
// operator's shell configure it the same way. A value that cannot be used stops the start with a
// message naming the variable, rather than running with a guess.

export interface BreakerSettings {
  /** How long primary's breaker stays open before the gateway probes primary's /health. */
  readonly resetTimeoutMs: number;
  /** Messages within the rolling window before the breaker may open (opossum's default, 0, opens on the first failure). */
  readonly volumeThreshold: number;
  /** Failure share of the rolling window, in percent, above which the breaker opens. */
  readonly errorThresholdPercentage: number;
  readonly rollingWindowMs: number;
}

export interface GatewayConfig {
  readonly port: number;
  readonly primaryUrl: string;
  readonly standinUrl: string;
  /** Bearer token for stand-in's configuration API. */
  readonly standinInternalToken: string;
  readonly configPollMs: number;
  /** A configuration read that takes longer than this counts as stand-in being unreachable. */
  readonly configTimeoutMs: number;
  /** Send traffic to stand-in while primary's breaker is open. Off unless GATEWAY_AUTO_FAILOVER=on. */
  readonly autoFailover: boolean;
  /** The payment network's deadline for a card message, from receipt to answer. */
  readonly cardDeadlineMs: number;
  /** The payment network's deadline for a Faster Payments message. */
  readonly fpsDeadlineMs: number;
  readonly breaker: BreakerSettings;
  readonly logLevel: string;
}

export const GATEWAY_DEFAULTS = {
  port: 8500,
  primaryUrl: 'http://127.0.0.1:8100',
  standinUrl: 'http://127.0.0.1:8200',
  standinInternalToken: 'local-standin-internal-token',
  configPollMs: 1_000,
  configTimeoutMs: 1_000,
  cardDeadlineMs: 1_500,
  fpsDeadlineMs: 5_000,
  breaker: { resetTimeoutMs: 5_000, volumeThreshold: 5, errorThresholdPercentage: 50, rollingWindowMs: 10_000 },
} as const;

/** The shortest deadline the gateway accepts: below it there is no time left to forward anything. */
const MINIMUM_DEADLINE_MS = 100;

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) throw new Error(`${name}=${raw} is not usable: expected a whole number of at least ${minimum}`);
  return value;
}

function httpUrl(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new Error(`${name}=${raw} is not a URL: expected e.g. ${fallback}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${name}=${raw} is not usable: expected an http:// or https:// URL`);
  // Paths are appended to it, so a trailing slash would double up.
  return raw.replace(/\/+$/, '');
}

function onOff(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'off') return false;
  if (raw === 'on') return true;
  // A typo must not silently leave failover off (or on) during an incident.
  throw new Error(`${name}=${env[name]} is not usable: expected on or off`);
}

export function gatewayConfigFromEnvironment(env: NodeJS.ProcessEnv): GatewayConfig {
  const port = positiveInteger(env, 'PORT', GATEWAY_DEFAULTS.port);
  if (port > 65_535) throw new Error(`PORT=${port} is not a port: expected at most 65535`);
  const token = env.STANDIN_INTERNAL_TOKEN;
  if (!token && env.NODE_ENV === 'production') throw new Error("STANDIN_INTERNAL_TOKEN must be set in production: the gateway reads stand-in's configuration with it");
  return {
    port,
    primaryUrl: httpUrl(env, 'PRIMARY_URL', GATEWAY_DEFAULTS.primaryUrl),
    standinUrl: httpUrl(env, 'STANDIN_URL', GATEWAY_DEFAULTS.standinUrl),
    standinInternalToken: token || GATEWAY_DEFAULTS.standinInternalToken,
    configPollMs: positiveInteger(env, 'GATEWAY_CONFIG_POLL_MS', GATEWAY_DEFAULTS.configPollMs),
    configTimeoutMs: GATEWAY_DEFAULTS.configTimeoutMs,
    autoFailover: onOff(env, 'GATEWAY_AUTO_FAILOVER'),
    cardDeadlineMs: positiveInteger(env, 'GATEWAY_CARD_DEADLINE_MS', GATEWAY_DEFAULTS.cardDeadlineMs, MINIMUM_DEADLINE_MS),
    fpsDeadlineMs: positiveInteger(env, 'GATEWAY_FPS_DEADLINE_MS', GATEWAY_DEFAULTS.fpsDeadlineMs, MINIMUM_DEADLINE_MS),
    breaker: { ...GATEWAY_DEFAULTS.breaker, resetTimeoutMs: positiveInteger(env, 'GATEWAY_BREAKER_RESET_MS', GATEWAY_DEFAULTS.breaker.resetTimeoutMs) },
    logLevel: env.LOG_LEVEL || 'info',
  };
}
