import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import type { PanKeys } from './cards/pan-crypto';
import { DEFAULT_HOLD_EXPIRY_DAYS } from './card-processor/hold-expiry';
import { DEFAULT_CARD_BUDGET_MS, DEFAULT_CARD_POOL_SIZE } from './card-processor/card-budget';
import { kafkaTopicPrefixFromEnvironment } from '@bank/shared-contracts';
import { parseOperatorTokens, type Operator } from './configuration/operators';

/** Clearing files come hours after the authorisation; a stand-in advice is applied well within this. */
export const DEFAULT_CLEARING_MATCH_WAIT_MS = 15 * 60_000;

export interface PrimaryConfig {
  readonly port: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string[];
  /** KAFKA_TOPIC_PREFIX: a test run's own topics and consumer groups ('' for `npm start`). */
  readonly kafkaTopicPrefix: string;
  readonly internalToken: string;
  readonly keys: PanKeys;
  readonly logLevel: string;
  /** Where outbound Faster Payments are submitted (the payment-network simulator locally). */
  readonly fasterPaymentsSchemeUrl: string;
  /** Incident engineers allowed to change the stand-in configuration. */
  readonly operators: readonly Operator[];
  readonly standin: {
    /** Stand-in's API: payments routed to it, and its configuration (peer sync). */
    readonly url: string;
    /** Stand-in's internal token, presented to read its configuration. */
    readonly internalToken: string;
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
  /** HOLD_EXPIRY_DAYS: an authorisation hold not cleared within this many days is released (7, as schemes allow). */
  readonly holdExpiryDays: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: \`npm start\` sets it; to run primary alone, export it (see \`npm run infra -- env\`)`);
  return value;
}

/**
 * A 32-byte key from the environment (base64). Outside production a missing key is derived from
 * its name, so a local stack works without set-up; production refuses to start without it.
 */
function key(env: NodeJS.ProcessEnv, name: string): Buffer {
  const value = env[name];
  if (value) {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
    return decoded;
  }
  if (env.NODE_ENV === 'production') throw new Error(`${name} must be set in production`);
  return createHash('sha256').update(`local-development-only:${name}`).digest();
}

/** Stand-in's public key B, as PEM in the environment or in a file (`npm start` generates a local pair). */
function standinPublicKey(env: NodeJS.ProcessEnv): KeyObject {
  const pem = env.STANDIN_PAN_PUBLIC_KEY_B ?? (env.STANDIN_PAN_PUBLIC_KEY_B_FILE ? fs.readFileSync(env.STANDIN_PAN_PUBLIC_KEY_B_FILE, 'utf8') : undefined);
  if (!pem)
    throw new Error(
      'STANDIN_PAN_PUBLIC_KEY_B (PEM) or STANDIN_PAN_PUBLIC_KEY_B_FILE must be set: it is what card numbers are encrypted for before they cross to stand-in',
    );
  return createPublicKey(pem);
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, unit = 'milliseconds'): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} must be a whole number of ${unit} above 0 (default ${fallback}), not "${value}"`);
  return parsed;
}

/** Outside production a local operator exists by default, so a local stack can be driven without set-up. */
function operators(env: NodeJS.ProcessEnv): Operator[] {
  const value = env.OPERATOR_TOKENS ?? (env.NODE_ENV === 'production' ? undefined : 'local-operator:local-operator-token');
  if (!value)
    throw new Error(
      'OPERATOR_TOKENS must be set in production: name:token pairs, comma-separated; these are the incident engineers who may change the stand-in configuration',
    );
  return parseOperatorTokens(value);
}

export function loadPrimaryConfig(env: NodeJS.ProcessEnv = process.env): PrimaryConfig {
  return {
    port: Number(env.PORT ?? 8100),
    databaseUrl: required(env, 'PRIMARY_DATABASE_URL'),
    redisUrl: required(env, 'PRIMARY_REDIS_URL'),
    kafkaBrokers: required(env, 'KAFKA_BROKERS').split(','),
    kafkaTopicPrefix: kafkaTopicPrefixFromEnvironment(env),
    internalToken: env.PRIMARY_INTERNAL_TOKEN ?? (env.NODE_ENV === 'production' ? required(env, 'PRIMARY_INTERNAL_TOKEN') : 'local-internal-token'),
    keys: {
      primary: { keyset: 'A', keyId: env.PRIMARY_PAN_KEY_A_ID ?? 'A-local', key: key(env, 'PRIMARY_PAN_KEY_A') },
      standin: { keyset: 'B', keyId: env.STANDIN_PAN_KEY_B_ID ?? 'B-local', publicKey: standinPublicKey(env) },
      indexKey: key(env, 'PRIMARY_PAN_INDEX_KEY'),
    },
    logLevel: env.LOG_LEVEL ?? 'info',
    fasterPaymentsSchemeUrl: env.FASTER_PAYMENTS_SCHEME_URL ?? 'http://127.0.0.1:8600/faster-payments',
    operators: operators(env),
    standin: {
      url: (env.STANDIN_URL ?? 'http://127.0.0.1:8200').replace(/\/+$/, ''),
      internalToken: env.STANDIN_INTERNAL_TOKEN ?? (env.NODE_ENV === 'production' ? required(env, 'STANDIN_INTERNAL_TOKEN') : 'local-standin-internal-token'),
      proxyTimeoutMs: positiveInteger(env, 'STANDIN_PROXY_TIMEOUT_MS', 1_000),
    },
    shadow: {
      queueSize: positiveInteger(env, 'SHADOW_QUEUE_SIZE', 1_000, 'messages'),
      // Few on purpose: shadowing shares primary's database pool (the account lookup) with the card path.
      concurrency: positiveInteger(env, 'SHADOW_CONCURRENCY', 2, 'concurrent sends'),
      timeoutMs: positiveInteger(env, 'SHADOW_TIMEOUT_MS', 1_000),
    },
    configurationPeerSyncMs: positiveInteger(env, 'CONFIGURATION_PEER_SYNC_MS', 2_000),
    clearingMatchWaitMs: positiveInteger(env, 'CLEARING_MATCH_WAIT_MS', DEFAULT_CLEARING_MATCH_WAIT_MS),
    cardBudgetMs: positiveInteger(env, 'PRIMARY_CARD_BUDGET_MS', DEFAULT_CARD_BUDGET_MS),
    cardPoolSize: positiveInteger(env, 'PRIMARY_CARD_POOL_SIZE', DEFAULT_CARD_POOL_SIZE, 'connections'),
    holdExpiryDays: positiveInteger(env, 'HOLD_EXPIRY_DAYS', DEFAULT_HOLD_EXPIRY_DAYS, 'days'),
  };
}
