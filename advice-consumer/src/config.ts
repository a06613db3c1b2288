import { z } from 'zod';
import { operatorsFromTokens, type OperatorOf } from '@bank/shared-contracts';
import { ConfigurationError, httpUrl, positiveWholeNumber, readServiceEnvironment, type ServiceEnvironment } from '@bank/shared-contracts';

// The advice consumer's whole configuration, read and checked once at start. Outside local mode
// (BANK_MODE=local) it refuses to start without its credentials.

export interface AdviceConsumerConfig {
  readonly port: number;
  readonly logLevel: string;
  readonly pubsub: { readonly projectId: string; readonly emulatorHost: string | undefined };
  /** Primary's API, where advices are applied, and the advice consumer's own credential (ADVICE_CONSUMER_TOKEN) presented to it. */
  readonly primary: { readonly url: string; readonly token: string };
  /** Stand-in's API, whose advice log is re-driven from, and the same own credential. */
  readonly standin: { readonly url: string; readonly token: string };
  readonly redriveIntervalMs: number;
  /** An advice in stand-in's log this old and not applied by primary is re-driven. */
  readonly redriveAfterMs: number;
  /** OPERATOR_TOKENS: who may read the reconciliation report and re-drive. */
  readonly operatorOf: OperatorOf;
  /** ADVICE_BATCH_SIZE / ADVICE_BATCHES_IN_FLIGHT: the consumer's own defaults when unset. */
  readonly batching: { readonly batchSize?: number; readonly maxBatchesInFlight?: number };
}

const ADVICE_CONSUMER_VARIABLES = {
  PORT: positiveWholeNumber.max(65_535).default(8400),
  LOG_LEVEL: z.string().default('info'),
  // The emulator's project in local mode; outside it the real project must be named (requiredOutsideLocal).
  PUBSUB_PROJECT_ID: z.string().min(1).default('bank-local'),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  PRIMARY_URL: httpUrl.default('http://127.0.0.1:8100'),
  STANDIN_URL: httpUrl.default('http://127.0.0.1:8200'),
  ADVICE_REDRIVE_INTERVAL_MS: positiveWholeNumber.default(30_000),
  ADVICE_REDRIVE_AFTER_MS: positiveWholeNumber.default(120_000),
  ADVICE_BATCH_SIZE: positiveWholeNumber.max(10_000).optional(),
  ADVICE_BATCHES_IN_FLIGHT: positiveWholeNumber.max(100).optional(),
  OPERATOR_TOKENS: z.string().transform((raw, context): OperatorOf => {
    try {
      return operatorsFromTokens(raw);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
};

/** Public values, for local mode only. */
const ADVICE_CONSUMER_SECRETS = {
  OPERATOR_TOKENS: 'local-operator:local-operator-token',
};

export function readAdviceConsumerEnvironment(env: NodeJS.ProcessEnv = process.env): ServiceEnvironment<AdviceConsumerConfig> {
  const read = readServiceEnvironment(
    {
      service: 'advice consumer',
      variables: ADVICE_CONSUMER_VARIABLES,
      secrets: ADVICE_CONSUMER_SECRETS,
      requiredOutsideLocal: ['PUBSUB_PROJECT_ID'],
      identities: { presents: 'advice-consumer' },
    },
    env,
  );
  const values = read.values;
  // The emulator keeps nothing across a restart and asks for no credential: outside local mode the
  // advices must come from Google Cloud Pub/Sub itself.
  if (!read.local && values.PUBSUB_EMULATOR_HOST)
    throw new ConfigurationError('advice consumer', [
      'PUBSUB_EMULATOR_HOST is set outside local mode: advices come from Google Cloud Pub/Sub (PUBSUB_PROJECT_ID) there, never an emulator',
    ]);
  // One identity, presented to both platforms: each knows the advice consumer by it.
  const token = read.credentials.own ?? '';
  return {
    ...read,
    values: {
      port: values.PORT,
      logLevel: values.LOG_LEVEL,
      pubsub: { projectId: values.PUBSUB_PROJECT_ID, emulatorHost: values.PUBSUB_EMULATOR_HOST },
      primary: { url: values.PRIMARY_URL, token },
      standin: { url: values.STANDIN_URL, token },
      redriveIntervalMs: values.ADVICE_REDRIVE_INTERVAL_MS,
      redriveAfterMs: values.ADVICE_REDRIVE_AFTER_MS,
      operatorOf: values.OPERATOR_TOKENS,
      batching: {
        ...(values.ADVICE_BATCH_SIZE === undefined ? {} : { batchSize: values.ADVICE_BATCH_SIZE }),
        ...(values.ADVICE_BATCHES_IN_FLIGHT === undefined ? {} : { maxBatchesInFlight: values.ADVICE_BATCHES_IN_FLIGHT }),
      },
    },
  };
}
