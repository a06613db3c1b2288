import path from 'node:path';
import { z } from 'zod';
import { firstOperatorToken } from './operators';
import {
  ConfigurationError,
  operatorsFromTokens,
  type OperatorOf,
  developmentCredential,
  httpUrl,
  positiveWholeNumber,
  readServiceEnvironment,
  type ServiceEnvironment,
} from '@bank/shared-contracts';

// The app server's settings. It serves the customer's app and the incident console (static files
// the browser runs) and the console's read-only snapshot. The browser calls both platforms
// directly, at their public URLs, so that the app still reaches stand-in when whatever serves
// primary is gone; this server is never on the customer's money path.

export interface AppServerConfig {
  readonly port: number;
  readonly logLevel: string;
  /** Where the browser calls each platform (their public URLs, allowed by each platform's APP_ORIGINS). */
  readonly publicUrls: { readonly primary: string; readonly standin: string };
  /** Where this server itself reads the platforms, the gateway and the advice consumer for the console. */
  readonly serviceUrls: { readonly primary: string; readonly standin: string; readonly gateway: string; readonly adviceConsumer: string };
  /** The syncer's appetite for lag, drawn as the line on the console's chart. */
  readonly syncLagAppetiteMs: number;
  /** How long the console waits for one platform's answer before it calls that platform unreachable. */
  readonly consoleTimeoutMs: number;
  /** How often the customer's app polls both platforms' /status. */
  readonly statusPollMs: number;
  /** Local mode only: demo customers are created and listed, and the console offers the local operator's public token. */
  readonly local: boolean;
  readonly dataDir: string;
  /** OPERATOR_TOKENS: who may open the console. */
  readonly operatorOf: OperatorOf;
  /** Local mode only: the development credentials demo customers are created with. */
  readonly demo?: { readonly onboardingToken: string; readonly cardManufacturerToken: string; readonly networkToken: string; readonly operatorToken: string };
}

const APP_VARIABLES = {
  PORT: positiveWholeNumber.max(65_535).default(8700),
  LOG_LEVEL: z.string().default('info'),
  PRIMARY_URL: httpUrl.default('http://127.0.0.1:8100'),
  STANDIN_URL: httpUrl.default('http://127.0.0.1:8200'),
  GATEWAY_URL: httpUrl.default('http://127.0.0.1:8500'),
  ADVICE_CONSUMER_URL: httpUrl.default('http://127.0.0.1:8400'),
  // What the browser uses; default: the URLs this server uses (the same host in local mode).
  PRIMARY_PUBLIC_URL: httpUrl.optional(),
  STANDIN_PUBLIC_URL: httpUrl.optional(),
  SYNC_LAG_APPETITE_MS: positiveWholeNumber.default(5_000),
  APP_CONSOLE_TIMEOUT_MS: positiveWholeNumber.max(30_000).default(2_000),
  APP_STATUS_POLL_MS: positiveWholeNumber.min(250).max(60_000).default(2_000),
  APP_DATA_DIR: z.string().default('.data/app'),
  OPERATOR_TOKENS: z.string().refine(
    (raw) => {
      try {
        operatorsFromTokens(raw);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'expected name:token pairs, comma-separated' },
  ),
};

/** Public values, for local mode only (the platforms' own local operator). */
const APP_SECRETS = { OPERATOR_TOKENS: 'local-operator:local-operator-token' };

export function readAppEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment<AppServerConfig> {
  const read = readServiceEnvironment(
    { service: 'app server', variables: APP_VARIABLES, secrets: APP_SECRETS, requiredOutsideLocal: ['PRIMARY_PUBLIC_URL', 'STANDIN_PUBLIC_URL'] },
    env,
  );
  const values = read.values;
  const problems: string[] = [];
  // A browser on a bank's page must not talk to a platform in the clear.
  if (!read.local)
    for (const name of ['PRIMARY_PUBLIC_URL', 'STANDIN_PUBLIC_URL'] as const)
      if (values[name] && !values[name].startsWith('https://')) problems.push(`${name} must be an https:// URL outside local mode`);
  if (problems.length > 0) throw new ConfigurationError('app server', problems);
  return {
    ...read,
    values: {
      port: values.PORT,
      logLevel: values.LOG_LEVEL,
      publicUrls: { primary: values.PRIMARY_PUBLIC_URL ?? values.PRIMARY_URL, standin: values.STANDIN_PUBLIC_URL ?? values.STANDIN_URL },
      serviceUrls: { primary: values.PRIMARY_URL, standin: values.STANDIN_URL, gateway: values.GATEWAY_URL, adviceConsumer: values.ADVICE_CONSUMER_URL },
      syncLagAppetiteMs: values.SYNC_LAG_APPETITE_MS,
      consoleTimeoutMs: values.APP_CONSOLE_TIMEOUT_MS,
      statusPollMs: values.APP_STATUS_POLL_MS,
      local: read.local,
      dataDir: path.resolve(values.APP_DATA_DIR),
      operatorOf: operatorsFromTokens(values.OPERATOR_TOKENS),
      // The public development credentials (the README's walkthrough types them); never outside local mode.
      ...(read.local
        ? {
            demo: {
              onboardingToken: env.ONBOARDING_TOKEN || developmentCredential('onboarding'),
              cardManufacturerToken: env.CARD_MANUFACTURER_TOKEN || developmentCredential('card-manufacturer'),
              networkToken: env.NETWORK_TOKEN || developmentCredential('network'),
              operatorToken: firstOperatorToken(values.OPERATOR_TOKENS) ?? 'local-operator-token',
            },
          }
        : {}),
    },
  };
}
