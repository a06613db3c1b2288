import path from 'node:path';
import type { Component, ComponentName } from '../component';
import { componentHost, POSTGRES_DATABASES, type InfraConfig } from '../config';
import { kafkaComponent } from './kafka';
import { postgresComponent } from './postgres';
import { pubsubComponent } from './pubsub';
import { redisComponent } from './redis';

/** Every component, in start order (Kafka last: it is the slowest and nothing waits on it). */
export function createComponents(config: InfraConfig): Record<ComponentName, Component> {
  const directory = (name: string) => path.join(config.dataDir, name);
  const trusted = config.topology ? { trustedNetwork: `10.${config.topology.network}.0.0/16` } : {};
  return {
    'pg-primary': postgresComponent({
      name: 'pg-primary',
      port: config.pgPrimaryPort,
      host: componentHost(config, 'pg-primary'),
      ...trusted,
      database: POSTGRES_DATABASES.primary,
      directory: directory('pg-primary'),
    }),
    'pg-standin': postgresComponent({
      name: 'pg-standin',
      port: config.pgStandinPort,
      host: componentHost(config, 'pg-standin'),
      ...trusted,
      database: POSTGRES_DATABASES.standin,
      directory: directory('pg-standin'),
    }),
    'redis-primary': redisComponent({
      name: 'redis-primary',
      port: config.redisPrimaryPort,
      host: componentHost(config, 'redis-primary'),
      directory: directory('redis-primary'),
    }),
    'redis-standin': redisComponent({
      name: 'redis-standin',
      port: config.redisStandinPort,
      host: componentHost(config, 'redis-standin'),
      directory: directory('redis-standin'),
    }),
    pubsub: pubsubComponent(config),
    kafka: kafkaComponent(config),
  };
}
