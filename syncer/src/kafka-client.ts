import type { BaseOptions } from '@platformatic/kafka';
import type { KafkaSecurity } from '@bank/shared-contracts';

/** Where Kafka is and how patiently to talk to it: what every Kafka client the syncer makes shares. */
export type KafkaConnection = Pick<BaseOptions, 'bootstrapBrokers' | 'clientId' | 'connectTimeout' | 'timeout' | 'retries' | 'retryDelay' | 'tls' | 'sasl'>;

/**
 * A client call retries for about 20 s (8 tries, 300 ms doubling to 5 s) before it fails; then the
 * consumer's own restart takes over, so a Kafka restart is ridden out either way.
 */
export function kafkaConnection(options: { brokers: readonly string[]; clientId: string; security?: KafkaSecurity }): KafkaConnection {
  return {
    bootstrapBrokers: [...options.brokers],
    clientId: options.clientId,
    connectTimeout: 3_000,
    timeout: 10_000,
    retries: 8,
    retryDelay: (_client, _operation, attempt) => Math.min(5_000, 300 * 2 ** Math.max(0, attempt - 1)),
    ...(options.security?.tls ? { tls: { ...options.security.tls } } : {}),
    ...(options.security?.sasl ? { sasl: { ...options.security.sasl } } : {}),
  };
}
