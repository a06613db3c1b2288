import path from 'node:path';
import type { InfraConfig } from '@bank/infra';
import type { ServiceDefinition } from './service-process';
import type { PlatformUrls } from './services';

/**
 * The app server (the customer's app and the incident console) in front of a run's stack. The
 * browser calls the platforms directly, so both platforms must allow its origin: start them with
 * `APP_ORIGINS` = `appOrigin(port)` and this service on that port.
 */
export function appService(
  config: InfraConfig,
  run: string,
  urls: PlatformUrls,
  options: { gatewayUrl: string; adviceConsumerUrl: string; operatorName: string; operatorToken: string; env?: NodeJS.ProcessEnv },
): ServiceDefinition {
  return {
    name: 'app',
    entry: 'app/dist/server/main.js',
    logFile: path.join(config.dataDir, 'e2e', run, 'app.log'),
    env: {
      ...process.env,
      BANK_MODE: 'local',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      PRIMARY_URL: urls.primary,
      STANDIN_URL: urls.standin,
      GATEWAY_URL: options.gatewayUrl,
      ADVICE_CONSUMER_URL: options.adviceConsumerUrl,
      // The run's operator (not npm start's): the console admits it, and offers its token in local mode.
      OPERATOR_TOKENS: `${options.operatorName}:${options.operatorToken}`,
      APP_DATA_DIR: path.join(config.dataDir, 'e2e', run, 'app-data'),
      // Tests cannot wait long for a flip: the app polls both platforms twice a second.
      APP_STATUS_POLL_MS: '500',
      ...options.env,
    },
  };
}

export const appOrigin = (port: number) => `http://127.0.0.1:${port}`;
