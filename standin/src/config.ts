import { z } from 'zod';
import {
  ConfigurationError,
  httpUrl,
  positiveWholeNumber,
  readServiceEnvironment,
  type IdentityCredentials,
  type ServiceEnvironment,
  type ServiceIdentity,
} from '@bank/shared-contracts';
import { CARD_KEY_SECRETS, CARD_KEY_VARIABLES, cardKeysFrom, type StandinCardKeys } from './cards/card-numbers';
import { operatorsFromEnvironment, type Operators } from './configuration/operators';
import { DEFAULT_CARD_BUDGET_MS, DEFAULT_CARD_POOL_SIZE } from './payments/card-desk';
import { DEFAULT_STANDIN_RATE_LIMITS, type StandinRateLimits } from './app/rate-limits';
import { DEFAULT_FASTER_PAYMENTS_SCHEME_URL } from './payments/faster-payments-scheme';
import { readAppOrigins, STANDIN_LOCAL_APP_ORIGINS } from './app/cors';

// Stand-in's whole configuration, read and checked once at start (main.ts); a missing secret
// outside local mode (BANK_MODE=local) stops the start naming it.

export interface StandinConfig {
  readonly port: number;
  readonly databaseUrl: string;
  readonly logLevel: string;
  readonly keys: StandinCardKeys;
  readonly operators: Operators;
  /** Presented by callers of stand-in's internal API. */
  /** The service identities stand-in accepts, and its own credential (STANDIN_TOKEN) presented to primary. */
  readonly credentials: IdentityCredentials;
  /** Primary's API (its configuration, read for peer sync with stand-in's own credential). */
  readonly primary: { readonly url: string };
  /** The data-centre gateway (GATEWAY_URL), whose view of primary the autopilot reads with stand-in's own credential. */
  readonly gateway: { readonly url: string };
  /** STANDIN_AUTOPILOT_SAMPLE_MS: how often the autopilot samples (it acts only as its settings allow; off by default). */
  readonly autopilotSampleMs: number;
  readonly configurationPeerSyncMs: number;
  readonly cardBudgetMs: number;
  readonly cardPoolSize: number;
  readonly fasterPayments: { readonly schemeUrl: string; readonly timeoutMs: number; readonly retryAfterMs: number; readonly retryMs: number };
  readonly pubsub: { readonly projectId: string; readonly emulatorHost: string | undefined };
  /** The API reference's browser at /docs: local mode only. */
  readonly serveApiDocs: boolean;
  /** STANDIN_RATE_LIMIT_CUSTOMER_PER_MINUTE: the app API's limit per customer, per replica. */
  readonly rateLimits: StandinRateLimits;
  /** APP_ORIGINS: origins of the browser app allowed to read stand-in's answers (CORS); in local mode the local app's by default, otherwise none. */
  readonly appOrigins: readonly string[];
}

const STANDIN_VARIABLES = {
  ...CARD_KEY_VARIABLES,
  PORT: positiveWholeNumber.max(65_535).default(8200),
  STANDIN_DATABASE_URL: z.string(),
  LOG_LEVEL: z.string().default('info'),
  OPERATOR_TOKENS: z.string(),
  PRIMARY_URL: httpUrl.default('http://127.0.0.1:8100'),
  CONFIGURATION_PEER_SYNC_MS: positiveWholeNumber.default(2_000),
  GATEWAY_URL: httpUrl.default('http://127.0.0.1:8500'),
  STANDIN_AUTOPILOT_SAMPLE_MS: positiveWholeNumber.min(100).max(60_000).default(2_000),
  // Card authorisations have a pool of their own: its size is what stand-in's database can run at
  // once (measured with `npm run bench -- standin-auth`), and every statement on it has the budget.
  STANDIN_CARD_BUDGET_MS: positiveWholeNumber.default(DEFAULT_CARD_BUDGET_MS),
  STANDIN_CARD_POOL_SIZE: positiveWholeNumber.default(DEFAULT_CARD_POOL_SIZE),
  FASTER_PAYMENTS_SCHEME_URL: httpUrl.default(DEFAULT_FASTER_PAYMENTS_SCHEME_URL),
  STANDIN_FPS_TIMEOUT_MS: positiveWholeNumber.default(2_000),
  STANDIN_FPS_RETRY_AFTER_MS: positiveWholeNumber.default(5_000),
  STANDIN_FPS_RETRY_MS: positiveWholeNumber.default(5_000),
  // The emulator's project in local mode; outside it the real project must be named (requiredOutsideLocal).
  PUBSUB_PROJECT_ID: z.string().min(1).default('bank-local'),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  STANDIN_RATE_LIMIT_CUSTOMER_PER_MINUTE: positiveWholeNumber.default(DEFAULT_STANDIN_RATE_LIMITS.customerPerWindow),
  // Comma-separated exact origins; the default depends on the mode, so it is applied below.
  APP_ORIGINS: z.string().optional(),
};

/** Outside local mode stand-in refuses to start without these; the values here are public and for local mode only. */
const STANDIN_SECRETS = {
  ...CARD_KEY_SECRETS,
  OPERATOR_TOKENS: 'local-operator:local-operator-token',
};

/** The services that call stand-in, each with its own credential (`<NAME>_TOKEN`, and `<NAME>_TOKEN_NEXT` during a rotation). */
const STANDIN_CALLER_IDENTITIES: readonly ServiceIdentity[] = ['primary', 'gateway', 'advice-consumer'];

export function readStandinEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment<StandinConfig> {
  const read = readServiceEnvironment(
    {
      service: 'stand-in',
      variables: STANDIN_VARIABLES,
      secrets: STANDIN_SECRETS,
      requiredOutsideLocal: ['PUBSUB_PROJECT_ID'],
      identities: { accepts: STANDIN_CALLER_IDENTITIES, presents: 'standin' },
    },
    env,
  );
  const values = read.values;
  // The emulator keeps nothing across a restart and asks for no credential: advices published
  // there outside local mode would be acknowledged and then lost.
  // The risk limits moved into the configuration document (standin rules …): a site still setting
  // them must not start believing it is protected by limits that no longer apply.
  const retired = ['STANDIN_LIMIT_PER_PAYMENT_MINOR', 'STANDIN_LIMIT_PER_ACCOUNT_DAY_MINOR'].filter((name) => env[name] !== undefined && env[name] !== '');
  if (retired.length > 0)
    throw new ConfigurationError(
      'stand-in',
      retired.map(
        (name) =>
          `${name} is no longer read: stand-in's limits are the configuration's rules now; set them with \`standin rules set --max-per-payment|--max-per-day <pence> --reason …\` and remove ${name}`,
      ),
    );
  if (!read.local && values.PUBSUB_EMULATOR_HOST)
    throw new ConfigurationError('stand-in', [
      'PUBSUB_EMULATOR_HOST is set outside local mode: advices go to Google Cloud Pub/Sub (PUBSUB_PROJECT_ID) there, never an emulator',
    ]);
  let appOrigins: readonly string[];
  try {
    appOrigins = values.APP_ORIGINS === undefined ? (read.local ? STANDIN_LOCAL_APP_ORIGINS : []) : readAppOrigins(values.APP_ORIGINS);
  } catch (failure) {
    throw new ConfigurationError('stand-in', [`APP_ORIGINS is not usable: ${(failure as Error).message}`]);
  }
  return {
    ...read,
    values: {
      port: values.PORT,
      databaseUrl: values.STANDIN_DATABASE_URL,
      logLevel: values.LOG_LEVEL,
      keys: cardKeysFrom(values),
      operators: operatorsFromEnvironment({ OPERATOR_TOKENS: values.OPERATOR_TOKENS }),
      credentials: read.credentials,
      primary: { url: values.PRIMARY_URL },
      gateway: { url: values.GATEWAY_URL },
      autopilotSampleMs: values.STANDIN_AUTOPILOT_SAMPLE_MS,
      configurationPeerSyncMs: values.CONFIGURATION_PEER_SYNC_MS,
      cardBudgetMs: values.STANDIN_CARD_BUDGET_MS,
      cardPoolSize: values.STANDIN_CARD_POOL_SIZE,
      fasterPayments: {
        schemeUrl: values.FASTER_PAYMENTS_SCHEME_URL,
        timeoutMs: values.STANDIN_FPS_TIMEOUT_MS,
        retryAfterMs: values.STANDIN_FPS_RETRY_AFTER_MS,
        retryMs: values.STANDIN_FPS_RETRY_MS,
      },
      pubsub: { projectId: values.PUBSUB_PROJECT_ID, emulatorHost: values.PUBSUB_EMULATOR_HOST },
      serveApiDocs: read.local,
      rateLimits: { customerPerWindow: values.STANDIN_RATE_LIMIT_CUSTOMER_PER_MINUTE, windowMs: 60_000 },
      appOrigins,
    },
  };
}
