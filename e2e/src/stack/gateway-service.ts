import path from 'node:path';
import type { InfraConfig } from '@bank/infra';
import type { ServiceDefinition } from './service-process';
import type { PlatformUrls } from './services';

/**
 * The data-centre gateway in front of a stack's platforms. Several can run side by side (one with
 * automatic failover, one without); `name` tells their logs and data directories apart. The log is
 * where a test reads what the gateway said about each switch of destination; the data directory
 * (`<run>/<name>-data/`) holds its pending timeout reversals, kept across a restart of the process.
 */
/** Where a run's gateway called `name` keeps what must survive its restart. */
export function gatewayDataDirectory(config: InfraConfig, run: string, name = 'gateway'): string {
  return path.join(config.dataDir, 'e2e', run, `${name}-data`);
}

export function gatewayService(
  config: InfraConfig,
  run: string,
  urls: PlatformUrls,
  options: { name?: string; env?: NodeJS.ProcessEnv } = {},
): ServiceDefinition {
  const name = options.name ?? 'gateway';
  return {
    name,
    entry: 'gateway/dist/main.js',
    logFile: path.join(config.dataDir, 'e2e', run, `${name}.log`),
    env: {
      ...process.env,
      BANK_MODE: 'local',
      // Switches are logged at warn; the start line (and whether failover is on) at info.
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      PRIMARY_URL: urls.primary,
      STANDIN_URL: urls.standin,
      // Tests cannot wait long: the gateway sees a configuration change within a quarter second.
      GATEWAY_CONFIG_POLL_MS: '250',
      GATEWAY_DATA_DIR: gatewayDataDirectory(config, run, name),
      ...options.env,
    },
  };
}
