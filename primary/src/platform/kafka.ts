import type { BaseOptions } from '@platformatic/kafka';
import type { KafkaSecurity } from '@bank/shared-contracts';

/** Where Kafka is and how patiently to talk to it: what every Kafka client primary makes shares. */
export type KafkaConnection = Pick<BaseOptions, 'bootstrapBrokers' | 'connectTimeout' | 'timeout' | 'retries' | 'retryDelay' | 'tls' | 'sasl'>;

/**
 * Short waits and few retries: the outbox relay has its own breaker and the notifications consumer
 * its own restarts, so a client call that gives up soon only hands the decision back to them.
 */
export function kafkaConnection(brokers: readonly string[], security: KafkaSecurity = {}): KafkaConnection {
  return {
    bootstrapBrokers: [...brokers],
    connectTimeout: 2_000,
    timeout: 5_000,
    retries: 2,
    retryDelay: 300,
    ...(security.tls ? { tls: { ...security.tls } } : {}),
    ...(security.sasl ? { sasl: { ...security.sasl } } : {}),
  };
}
