import { createHash } from 'node:crypto';
import path from 'node:path';

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

/** How the gateway delivers the timeout reversals it owes (see timeout-reversals.ts). */
export interface TimeoutReversalSettings {
  /** After the 91, before the first attempt: long enough for the platform's slow answer to have finished. */
  readonly firstAttemptAfterMs: number;
  /** The delay after the first failed attempt; it doubles with each further one, up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Attempts before the gateway gives up and an operator must reverse the payment by hand. */
  readonly maxAttempts: number;
  /** Reversals waiting at most; a 91 beyond this is answered but its reversal is not recorded (logged, counted). */
  readonly maxPending: number;
  /** How long one attempt waits for the platform's answer. */
  readonly attemptTimeoutMs: number;
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
  /**
   * Where the gateway keeps what must survive its restart: the timeout reversals it owes. On the
   * gateway's own disk in the data centre, never on either platform's database.
   */
  readonly dataDir: string;
  /** AES-256-GCM key sealing the card numbers of owed reversals at rest (GATEWAY_PAN_SEAL_KEY). */
  readonly panSealKey: Buffer;
  readonly timeoutReversals: TimeoutReversalSettings;
  readonly logLevel: string;
  /** The API reference's browser at /docs: local mode only (NODE_ENV is not production). */
  readonly serveApiDocs: boolean;
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
  /** Outside production only: relative to the working directory (`npm start` sets it under the run's data directory). */
  dataDir: '.data/gateway',
  // About a day of attempts (the last ones a minute apart): an authorisation hold lasts days.
  timeoutReversals: { firstAttemptAfterMs: 3_000, retryBaseMs: 2_000, retryMaxMs: 60_000, maxAttempts: 1_500, maxPending: 10_000, attemptTimeoutMs: 2_000 },
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

function timeoutReversalSettings(env: NodeJS.ProcessEnv): TimeoutReversalSettings {
  const defaults = GATEWAY_DEFAULTS.timeoutReversals;
  const settings = {
    firstAttemptAfterMs: positiveInteger(env, 'GATEWAY_REVERSAL_FIRST_ATTEMPT_MS', defaults.firstAttemptAfterMs),
    retryBaseMs: positiveInteger(env, 'GATEWAY_REVERSAL_RETRY_BASE_MS', defaults.retryBaseMs),
    retryMaxMs: positiveInteger(env, 'GATEWAY_REVERSAL_RETRY_MAX_MS', defaults.retryMaxMs),
    maxAttempts: positiveInteger(env, 'GATEWAY_REVERSAL_MAX_ATTEMPTS', defaults.maxAttempts),
    maxPending: positiveInteger(env, 'GATEWAY_REVERSAL_MAX_PENDING', defaults.maxPending),
    attemptTimeoutMs: positiveInteger(env, 'GATEWAY_REVERSAL_ATTEMPT_TIMEOUT_MS', defaults.attemptTimeoutMs),
  };
  if (settings.retryMaxMs < settings.retryBaseMs)
    throw new Error(
      `GATEWAY_REVERSAL_RETRY_MAX_MS=${settings.retryMaxMs} is not usable: expected at least GATEWAY_REVERSAL_RETRY_BASE_MS (${settings.retryBaseMs})`,
    );
  return settings;
}

function onOff(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'off') return false;
  if (raw === 'on') return true;
  // A typo must not silently leave failover off (or on) during an incident.
  throw new Error(`${name}=${env[name]} is not usable: expected on or off`);
}

/**
 * A 32-byte key (base64). Outside production a missing key is derived from its name, so a local
 * stack works without set-up; production refuses to start without it.
 */
function sealKey(env: NodeJS.ProcessEnv, name: string): Buffer {
  const raw = env[name];
  if (raw) {
    const decoded = Buffer.from(raw, 'base64');
    if (decoded.length !== 32) throw new Error(`${name} is not usable: expected 32 bytes, base64-encoded`);
    return decoded;
  }
  if (env.NODE_ENV === 'production')
    throw new Error(`${name} must be set in production: the card numbers of the timeout reversals the gateway owes are sealed with it`);
  return createHash('sha256').update(`local-development-only:${name}`).digest();
}

function dataDirectory(env: NodeJS.ProcessEnv): string {
  const raw = env.GATEWAY_DATA_DIR;
  if (raw) return path.resolve(raw);
  // A default in production would put the reversals the bank owes somewhere nobody backs up.
  if (env.NODE_ENV === 'production')
    throw new Error('GATEWAY_DATA_DIR must be set in production: the gateway keeps the timeout reversals it owes there, across restarts');
  return path.resolve(GATEWAY_DEFAULTS.dataDir);
}

export function gatewayConfigFromEnvironment(env: NodeJS.ProcessEnv): GatewayConfig {
  const port = positiveInteger(env, 'PORT', GATEWAY_DEFAULTS.port);
  if (port > 65_535) throw new Error(`PORT=${port} is not a port: expected at most 65535`);
  const token = env.STANDIN_INTERNAL_TOKEN;
  if (!token && env.NODE_ENV === 'production')
    throw new Error("STANDIN_INTERNAL_TOKEN must be set in production: the gateway reads stand-in's configuration with it");
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
    dataDir: dataDirectory(env),
    panSealKey: sealKey(env, 'GATEWAY_PAN_SEAL_KEY'),
    timeoutReversals: timeoutReversalSettings(env),
    logLevel: env.LOG_LEVEL || 'info',
    serveApiDocs: env.NODE_ENV !== 'production',
  };
}
