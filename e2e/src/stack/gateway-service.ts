import path from 'node:path';
import type { InfraConfig } from '@bank/infra';
import type { ServiceDefinition } from './service-process';
import { INTERNAL_TOKENS, type PlatformUrls } from './services';

/**
 * The data-centre gateway in front of a stack's platforms. Stateless, so several can run side by
 * side (one with automatic failover, one without); `name` tells their logs apart. The log is where
 * a test reads what the gateway said about each switch of destination.
 */
export function gatewayService(config: InfraConfig, run: string, urls: PlatformUrls, options: { name?: string; env?: NodeJS.ProcessEnv } = {}): ServiceDefinition {
  const name = options.name ?? 'gateway';
  return {
    name,
    entry: 'gateway/dist/main.js',
    logFile: path.join(config.dataDir, 'e2e', run, `${name}.log`),
    env: {
      ...process.env,
      // Switches are logged at warn; the start line (and whether failover is on) at info.
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      PRIMARY_URL: urls.primary,
      STANDIN_URL: urls.standin,
      STANDIN_INTERNAL_TOKEN: INTERNAL_TOKENS.standin,
      // Tests cannot wait long: the gateway sees a configuration change within a quarter second.
      GATEWAY_CONFIG_POLL_MS: '250',
      ...options.env,
    },
  };
}
