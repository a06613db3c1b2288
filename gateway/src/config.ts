import path from 'node:path';
import { z } from 'zod';
import {
  base64Key,
  ConfigurationError,
  developmentKey,
  httpUrl,
  positiveWholeNumber,
  readServiceEnvironment,
  type ServiceEnvironment,
} from '@bank/shared-contracts';

// The gateway's settings, all from the environment so `npm start`, the end-to-end tests and an
// operator's shell configure it the same way. A value that cannot be used stops the start with a
// message naming the variable, rather than running with a guess; outside local mode (BANK_MODE=local)
// a missing secret or data directory does too.

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
  /** The gateway's own credential (GATEWAY_TOKEN): presented with every message it forwards and to read stand-in's configuration. */
  readonly credential: string;
  /** The payment network's credentials (NETWORK_TOKEN, and NETWORK_TOKEN_NEXT during a rotation), checked on every scheme message. */
  readonly networkCredentials: readonly string[];
  /** Stand-in's credentials (STANDIN_TOKEN, and STANDIN_TOKEN_NEXT during a rotation): its autopilot reads GET /primary-view. */
  readonly standinCredentials: readonly string[];
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
  /** The API reference's browser at /docs: local mode (BANK_MODE=local) only. */
  readonly serveApiDocs: boolean;
}

export const GATEWAY_DEFAULTS = {
  port: 8500,
  primaryUrl: 'http://127.0.0.1:8100',
  standinUrl: 'http://127.0.0.1:8200',
  configPollMs: 1_000,
  configTimeoutMs: 1_000,
  cardDeadlineMs: 1_500,
  fpsDeadlineMs: 5_000,
  breaker: { resetTimeoutMs: 5_000, volumeThreshold: 5, errorThresholdPercentage: 50, rollingWindowMs: 10_000 },
  /** Local mode only: relative to the working directory (`npm start` sets it under the run's data directory). */
  dataDir: '.data/gateway',
  // About a day of attempts (the last ones a minute apart): an authorisation hold lasts days.
  timeoutReversals: { firstAttemptAfterMs: 3_000, retryBaseMs: 2_000, retryMaxMs: 60_000, maxAttempts: 1_500, maxPending: 10_000, attemptTimeoutMs: 2_000 },
} as const;

/** The shortest deadline the gateway accepts: below it there is no time left to forward anything. */
const MINIMUM_DEADLINE_MS = 100;

const deadline = positiveWholeNumber.min(MINIMUM_DEADLINE_MS, `expected a whole number of at least ${MINIMUM_DEADLINE_MS}`);
const reversals = GATEWAY_DEFAULTS.timeoutReversals;

const GATEWAY_VARIABLES = {
  PORT: positiveWholeNumber.max(65_535, 'is not a port: expected at most 65535').default(GATEWAY_DEFAULTS.port),
  PRIMARY_URL: httpUrl.default(GATEWAY_DEFAULTS.primaryUrl),
  STANDIN_URL: httpUrl.default(GATEWAY_DEFAULTS.standinUrl),
  GATEWAY_CONFIG_POLL_MS: positiveWholeNumber.default(GATEWAY_DEFAULTS.configPollMs),
  // A typo must not silently leave failover off (or on) during an incident.
  GATEWAY_AUTO_FAILOVER: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .pipe(z.enum(['on', 'off'], 'expected on or off'))
    .default('off'),
  GATEWAY_CARD_DEADLINE_MS: deadline.default(GATEWAY_DEFAULTS.cardDeadlineMs),
  GATEWAY_FPS_DEADLINE_MS: deadline.default(GATEWAY_DEFAULTS.fpsDeadlineMs),
  GATEWAY_BREAKER_RESET_MS: positiveWholeNumber.default(GATEWAY_DEFAULTS.breaker.resetTimeoutMs),
  // A default outside local mode would put the reversals the bank owes somewhere nobody backs up.
  GATEWAY_DATA_DIR: z.string().default(GATEWAY_DEFAULTS.dataDir),
  // Seals the card numbers of the timeout reversals the gateway owes.
  GATEWAY_PAN_SEAL_KEY: base64Key,
  GATEWAY_REVERSAL_FIRST_ATTEMPT_MS: positiveWholeNumber.default(reversals.firstAttemptAfterMs),
  GATEWAY_REVERSAL_RETRY_BASE_MS: positiveWholeNumber.default(reversals.retryBaseMs),
  GATEWAY_REVERSAL_RETRY_MAX_MS: positiveWholeNumber.default(reversals.retryMaxMs),
  GATEWAY_REVERSAL_MAX_ATTEMPTS: positiveWholeNumber.default(reversals.maxAttempts),
  GATEWAY_REVERSAL_MAX_PENDING: positiveWholeNumber.default(reversals.maxPending),
  GATEWAY_REVERSAL_ATTEMPT_TIMEOUT_MS: positiveWholeNumber.default(reversals.attemptTimeoutMs),
  LOG_LEVEL: z.string().default('info'),
};

/** Public values, for local mode (BANK_MODE=local) only; outside it the gateway refuses to start without them. */
const GATEWAY_SECRETS = {
  GATEWAY_PAN_SEAL_KEY: developmentKey('GATEWAY_PAN_SEAL_KEY'),
};

/** The gateway's whole configuration, read and checked once at start; throws a ConfigurationError naming every variable at fault. */
export function readGatewayEnvironment(env: NodeJS.ProcessEnv): ServiceEnvironment<GatewayConfig> {
  const read = readServiceEnvironment(
    {
      service: 'gateway',
      variables: GATEWAY_VARIABLES,
      secrets: GATEWAY_SECRETS,
      requiredOutsideLocal: ['GATEWAY_DATA_DIR'],
      identities: { accepts: ['network', 'standin'], presents: 'gateway' },
    },
    env,
  );
  const values = read.values;
  if (values.GATEWAY_REVERSAL_RETRY_MAX_MS < values.GATEWAY_REVERSAL_RETRY_BASE_MS)
    throw new ConfigurationError('gateway', [
      `GATEWAY_REVERSAL_RETRY_MAX_MS=${values.GATEWAY_REVERSAL_RETRY_MAX_MS} is not usable: expected at least GATEWAY_REVERSAL_RETRY_BASE_MS (${values.GATEWAY_REVERSAL_RETRY_BASE_MS})`,
    ]);
  return {
    ...read,
    values: {
      port: values.PORT,
      primaryUrl: values.PRIMARY_URL,
      standinUrl: values.STANDIN_URL,
      credential: read.credentials.own ?? '',
      networkCredentials: read.credentials.accepted.network ?? [],
      standinCredentials: read.credentials.accepted.standin ?? [],
      configPollMs: values.GATEWAY_CONFIG_POLL_MS,
      configTimeoutMs: GATEWAY_DEFAULTS.configTimeoutMs,
      autoFailover: values.GATEWAY_AUTO_FAILOVER === 'on',
      cardDeadlineMs: values.GATEWAY_CARD_DEADLINE_MS,
      fpsDeadlineMs: values.GATEWAY_FPS_DEADLINE_MS,
      breaker: { ...GATEWAY_DEFAULTS.breaker, resetTimeoutMs: values.GATEWAY_BREAKER_RESET_MS },
      dataDir: path.resolve(values.GATEWAY_DATA_DIR),
      panSealKey: values.GATEWAY_PAN_SEAL_KEY,
      timeoutReversals: {
        firstAttemptAfterMs: values.GATEWAY_REVERSAL_FIRST_ATTEMPT_MS,
        retryBaseMs: values.GATEWAY_REVERSAL_RETRY_BASE_MS,
        retryMaxMs: values.GATEWAY_REVERSAL_RETRY_MAX_MS,
        maxAttempts: values.GATEWAY_REVERSAL_MAX_ATTEMPTS,
        maxPending: values.GATEWAY_REVERSAL_MAX_PENDING,
        attemptTimeoutMs: values.GATEWAY_REVERSAL_ATTEMPT_TIMEOUT_MS,
      },
      logLevel: values.LOG_LEVEL,
      serveApiDocs: read.local,
    },
  };
}

/** The settings alone (tests). */
export function gatewayConfigFromEnvironment(env: NodeJS.ProcessEnv): GatewayConfig {
  return readGatewayEnvironment(env).values;
}
