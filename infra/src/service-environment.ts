import path from 'node:path';
import { infraEndpoints } from './config';
import { ensureDevelopmentKeys } from './development-keys';
import type { Infra } from './infra';
import { selectedServices, serviceComponent, servicesDirectory, serviceSpecs } from './services';
import type { Component } from './component';

/**
 * The environment `npm start`'s services (and `npm test`'s jest) run with: local development mode,
 * the infrastructure's endpoints and the local keys. Computed alike by `npm start` and by `npm run infra -- start <service>` in another shell,
 * so a service brought back by hand runs as the one `npm start` started.
 */
export function serviceEnvironment(infra: Infra, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const endpoints = infraEndpoints(infra.config);
  const keys = ensureDevelopmentKeys(infra.config.dataDir);
  return {
    ...env,
    // The local development stack: services without a secret take a public development one (and
    // say so loudly at start). Outside this mode a service refuses to start without its secrets.
    BANK_MODE: 'local',
    PRIMARY_DATABASE_URL: endpoints.postgres.primary,
    STANDIN_DATABASE_URL: endpoints.postgres.standin,
    PRIMARY_REDIS_URL: endpoints.redis.primary,
    STANDIN_REDIS_URL: endpoints.redis.standin,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    PUBSUB_EMULATOR_HOST: endpoints.pubsub.apiEndpoint,
    PUBSUB_PROJECT_ID: endpoints.pubsub.projectId,
    METADATA_SERVER_DETECTION: 'none',
    STANDIN_PAN_PUBLIC_KEY_B_FILE: keys.standinPanPublicKeyFile,
    STANDIN_PAN_PRIVATE_KEY_B_FILE: keys.standinPanPrivateKeyFile,
    // The gateway's own disk: the timeout reversals it owes, kept across its restarts.
    GATEWAY_DATA_DIR: path.join(infra.config.dataDir, 'gateway'),
    // The app server's demo customers (their tokens), kept with the databases they live in.
    APP_DATA_DIR: path.join(infra.config.dataDir, 'app'),
  };
}

/** Every service as a component (pid file, start, stop, kill, pause, resume, status), in start order. */
export function serviceComponents(infra: Infra, env: NodeJS.ProcessEnv = process.env, which: 'all' | 'selected' = 'all'): Component[] {
  const serviceEnv = serviceEnvironment(infra, env);
  const directory = servicesDirectory(infra.config, env);
  return (which === 'all' ? serviceSpecs(env) : selectedServices(env)).map((spec) => serviceComponent(spec, directory, serviceEnv));
}
