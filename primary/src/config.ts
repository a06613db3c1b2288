import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { PanKeys } from './cards/pan-crypto';
import { DEFAULT_HOLD_EXPIRY_DAYS } from './card-processor/hold-expiry';
import { DEFAULT_CARD_BUDGET_MS, DEFAULT_CARD_POOL_SIZE } from './card-processor/card-budget';
import {
  KAFKA_SECURITY_VARIABLES,
  kafkaSecurity,
  type KafkaSecurity,
  base64Key,
  developmentKey,
  httpUrl,
  kafkaTopicPrefixFromEnvironment,
  positiveWholeNumber,
  readServiceEnvironment,
  type IdentityCredentials,
  type ServiceEnvironment,
  type ServiceIdentity,
} from '@bank/shared-contracts';
import { DEFAULT_RELAY_LINGER_MS } from './outbox/relay';
import { parseOperatorTokens, type Operator } from './configuration/operators';
import { DEFAULT_RATE_LIMITS } from './platform/rate-limits';
import { DEFAULT_CUSTOMER_TOKEN_TTL_DAYS } from './accounts/accounts-service';
import { DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER } from './notifications/stream-limit';
import { LOCAL_APP_ORIGINS, parseAppOrigins } from './platform/cors';

/** Clearing files come hours after the authorisation; a stand-in advice is applied well within this. */
export const DEFAULT_CLEARING_MATCH_WAIT_MS = 15 * 60_000;

export interface PrimaryConfig {
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string[];
  /** KAFKA_TOPIC_PREFIX: a test run's own topics and consumer groups ('' for `npm start`). */
  readonly kafkaTopicPrefix: string;
  /** KAFKA_TLS, KAFKA_SASL_*: how to reach a managed cluster (none for a local plaintext broker). */
  readonly kafkaSecurity: KafkaSecurity;
  /** The service identities primary accepts (and its own credential, PRIMARY_TOKEN, presented to stand-in). */
  readonly credentials: IdentityCredentials;
  readonly keys: PanKeys;
  readonly logLevel: string;
  /** Where outbound Faster Payments are submitted (the payment-network simulator locally). */
  readonly fasterPaymentsSchemeUrl: string;
  /** Incident engineers allowed to change the stand-in configuration. */
  readonly operators: readonly Operator[];
  readonly standin: {
    /** Stand-in's API: payments routed to it, and its configuration (peer sync). */
    readonly url: string;
    /** How long a routed payment waits for stand-in: well inside the card network's deadline. */
    readonly proxyTimeoutMs: number;
  };
  /** Copies of primary's card decisions sent to stand-in (SHADOW_QUEUE_SIZE, SHADOW_CONCURRENCY, SHADOW_TIMEOUT_MS); the share sent is in the configuration. */
  readonly shadow: {
    readonly queueSize: number;
    readonly concurrency: number;
    readonly timeoutMs: number;
  };
  /** How often stand-in's configuration is read, to adopt a newer one. */
  readonly configurationPeerSyncMs: number;
  /** How long a clearing whose authorisation primary does not know is sent back to be presented again (CLEARING_MATCH_WAIT_MS). */
  readonly clearingMatchWaitMs: number;
  /** PRIMARY_CARD_BUDGET_MS: the longest primary takes over a card message, whatever its database does (below the gateway's wait). */
  readonly cardBudgetMs: number;
  /** PRIMARY_CARD_POOL_SIZE: connections of the card authorisation path's own pool (one round trip each authorisation; sized by `npm run bench -- primary-auth`). */
  readonly cardPoolSize: number;
  /** OUTBOX_RELAY_LINGER_MS: how long the outbox relay waits after a part-full batch before the next (0: never). */
  readonly outboxRelayLingerMs: number;
  /** HOLD_EXPIRY_DAYS: an authorisation hold not cleared within this many days is released (7, as schemes allow). */
  readonly holdExpiryDays: number;
  /** PRIMARY_CUSTOMER_TOKEN_TTL_DAYS: how long an app token is accepted after it is issued (30). */
  readonly customerTokenTtlDays: number;
  /** PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER: notification streams one customer may hold open at once (3). */
  readonly notificationStreamsPerCustomer: number;
  /** The API reference's browser at /docs: local mode only. */
  readonly serveApiDocs: boolean;
  /**
   * APP_ORIGINS: the browser app's origins, answered with CORS headers (platform/cors.ts). Default:
   * the local app server's in local mode, none otherwise (no CORS header at all).
   */
  readonly appOrigins: readonly string[];
  /** PRIMARY_RATE_LIMIT_CUSTOMER_PER_MINUTE, PRIMARY_RATE_LIMIT_ACCOUNT_OPENINGS_PER_MINUTE (counted in Redis). */
  readonly rateLimits: { readonly customerPerWindow: number; readonly accountOpeningsPerWindow: number; readonly windowMs: number };
}

/** Every variable primary reads, with its default; secrets are listed in PRIMARY_SECRETS. */
const PRIMARY_VARIABLES = {
  PORT: positiveWholeNumber.max(65_535).default(8100),
  PRIMARY_DATABASE_URL: z.string(),
  PRIMARY_REDIS_URL: z.string(),
  KAFKA_BROKERS: z.string().transform((value) => value.split(',')),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  ...KAFKA_SECURITY_VARIABLES,
  PRIMARY_PAN_KEY_A_ID: z.string().default('A-local'),
  PRIMARY_PAN_KEY_A: base64Key,
  PRIMARY_PAN_INDEX_KEY: base64Key,
  STANDIN_PAN_KEY_B_ID: z.string().default('B-local'),
  // Stand-in's public key B (PEM, or STANDIN_PAN_PUBLIC_KEY_B_FILE): what card numbers are encrypted for before they cross to stand-in.
  STANDIN_PAN_PUBLIC_KEY_B: z.string().transform((pem, context): KeyObject => {
    try {
      return createPublicKey(pem);
    } catch {
      context.addIssue({ code: 'custom', message: 'is not a PEM public key' });
      return z.NEVER;
    }
  }),
  LOG_LEVEL: z.string().default('info'),
  FASTER_PAYMENTS_SCHEME_URL: httpUrl.default('http://127.0.0.1:8600/faster-payments'),
  OPERATOR_TOKENS: z.string().transform((value, context): Operator[] => {
    try {
      return parseOperatorTokens(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  STANDIN_URL: httpUrl.default('http://127.0.0.1:8200'),
  STANDIN_PROXY_TIMEOUT_MS: positiveWholeNumber.default(1_000),
  SHADOW_QUEUE_SIZE: positiveWholeNumber.default(1_000),
  // Few on purpose: shadowing shares primary's database pool (the account lookup) with the card path.
  SHADOW_CONCURRENCY: positiveWholeNumber.default(2),
  SHADOW_TIMEOUT_MS: positiveWholeNumber.default(1_000),
  CONFIGURATION_PEER_SYNC_MS: positiveWholeNumber.default(2_000),
  CLEARING_MATCH_WAIT_MS: positiveWholeNumber.default(DEFAULT_CLEARING_MATCH_WAIT_MS),
  PRIMARY_CARD_BUDGET_MS: positiveWholeNumber.default(DEFAULT_CARD_BUDGET_MS),
  PRIMARY_CARD_POOL_SIZE: positiveWholeNumber.default(DEFAULT_CARD_POOL_SIZE),
  HOLD_EXPIRY_DAYS: positiveWholeNumber.default(DEFAULT_HOLD_EXPIRY_DAYS),
  OUTBOX_RELAY_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(DEFAULT_RELAY_LINGER_MS),
  PRIMARY_RATE_LIMIT_CUSTOMER_PER_MINUTE: positiveWholeNumber.default(DEFAULT_RATE_LIMITS.customerPerWindow),
  PRIMARY_RATE_LIMIT_ACCOUNT_OPENINGS_PER_MINUTE: positiveWholeNumber.default(DEFAULT_RATE_LIMITS.accountOpeningsPerWindow),
  PRIMARY_CUSTOMER_TOKEN_TTL_DAYS: positiveWholeNumber.max(366).default(DEFAULT_CUSTOMER_TOKEN_TTL_DAYS),
  PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER: positiveWholeNumber.max(100).default(DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER),
  // Comma-separated exact origins; its default depends on the mode (see appOrigins below).
  APP_ORIGINS: z
    .string()
    .transform((value, context): string[] => {
      const parsed = parseAppOrigins(value);
      if (parsed.ok) return parsed.origins;
      context.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    })
    .optional(),
};

/**
 * The secrets primary refuses to start without outside local mode (BANK_MODE=local), with the
 * public development value each takes in local mode only.
 */
const PRIMARY_SECRETS = {
  PRIMARY_PAN_KEY_A: developmentKey('PRIMARY_PAN_KEY_A'),
  PRIMARY_PAN_INDEX_KEY: developmentKey('PRIMARY_PAN_INDEX_KEY'),
  OPERATOR_TOKENS: 'local-operator:local-operator-token',
};

/** The services that call primary, each with its own credential (`<NAME>_TOKEN`, and `<NAME>_TOKEN_NEXT` during a rotation). */
const PRIMARY_CALLER_IDENTITIES: readonly ServiceIdentity[] = ['gateway', 'standin', 'advice-consumer', 'card-manufacturer', 'onboarding'];

/** Primary's whole configuration, read and checked once at start; throws a ConfigurationError naming every variable at fault. */
export function readPrimaryEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment<PrimaryConfig> {
  const read = readServiceEnvironment(
    { service: 'primary', variables: PRIMARY_VARIABLES, secrets: PRIMARY_SECRETS, identities: { accepts: PRIMARY_CALLER_IDENTITIES, presents: 'primary' } },
    env,
  );
  const values = read.values;
  kafkaTopicPrefixFromEnvironment({ KAFKA_TOPIC_PREFIX: values.KAFKA_TOPIC_PREFIX });
  return {
    ...read,
    values: {
      port: values.PORT,
      databaseUrl: values.PRIMARY_DATABASE_URL,
      redisUrl: values.PRIMARY_REDIS_URL,
      kafkaBrokers: values.KAFKA_BROKERS,
      kafkaTopicPrefix: values.KAFKA_TOPIC_PREFIX,
      kafkaSecurity: kafkaSecurity('primary', values, read.local),
      credentials: read.credentials,
      keys: {
        primary: { keyset: 'A', keyId: values.PRIMARY_PAN_KEY_A_ID, key: values.PRIMARY_PAN_KEY_A },
        standin: { keyset: 'B', keyId: values.STANDIN_PAN_KEY_B_ID, publicKey: values.STANDIN_PAN_PUBLIC_KEY_B },
        indexKey: values.PRIMARY_PAN_INDEX_KEY,
      },
      logLevel: values.LOG_LEVEL,
      fasterPaymentsSchemeUrl: values.FASTER_PAYMENTS_SCHEME_URL,
      operators: values.OPERATOR_TOKENS,
      standin: { url: values.STANDIN_URL, proxyTimeoutMs: values.STANDIN_PROXY_TIMEOUT_MS },
      shadow: { queueSize: values.SHADOW_QUEUE_SIZE, concurrency: values.SHADOW_CONCURRENCY, timeoutMs: values.SHADOW_TIMEOUT_MS },
      configurationPeerSyncMs: values.CONFIGURATION_PEER_SYNC_MS,
      clearingMatchWaitMs: values.CLEARING_MATCH_WAIT_MS,
      cardBudgetMs: values.PRIMARY_CARD_BUDGET_MS,
      cardPoolSize: values.PRIMARY_CARD_POOL_SIZE,
      holdExpiryDays: values.HOLD_EXPIRY_DAYS,
      outboxRelayLingerMs: values.OUTBOX_RELAY_LINGER_MS,
      customerTokenTtlDays: values.PRIMARY_CUSTOMER_TOKEN_TTL_DAYS,
      notificationStreamsPerCustomer: values.PRIMARY_NOTIFICATION_STREAMS_PER_CUSTOMER,
      serveApiDocs: read.local,
      // Outside local mode no origin unless named: a browser page elsewhere must not read answers.
      appOrigins: values.APP_ORIGINS ?? (read.local ? LOCAL_APP_ORIGINS : []),
      rateLimits: {
        customerPerWindow: values.PRIMARY_RATE_LIMIT_CUSTOMER_PER_MINUTE,
        accountOpeningsPerWindow: values.PRIMARY_RATE_LIMIT_ACCOUNT_OPENINGS_PER_MINUTE,
        windowMs: 60_000,
      },
    },
  };
}
