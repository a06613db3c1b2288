// The app server as a process: the customer's app at /, the incident console at /console.
// Environment: see config.ts (PORT [8700], PRIMARY_URL, STANDIN_URL, GATEWAY_URL,
// ADVICE_CONSUMER_URL, PRIMARY_PUBLIC_URL, STANDIN_PUBLIC_URL, APP_STATUS_POLL_MS [2000], ...).
import path from 'node:path';
import pino from 'pino';
import { describeEnvironment, listenHostFromEnvironment } from '@bank/shared-contracts';
import { readAppEnvironment } from './config';
import { createConsoleReader } from './console-snapshot';
import { startDemoCustomers } from './demo-customers';
import { createAppServer } from './server';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const environment = readAppEnvironment(process.env);
  const config = environment.values;
  const logger = pino({ name: 'app', level: config.logLevel, redact: { paths: ['token', '*.token', 'headers.authorization'], censor: '[redacted]' } });
  const startLine = describeEnvironment(environment);
  logger[startLine.level](startLine.fields, startLine.message);
  const consoleReader = createConsoleReader({
    primaryUrl: config.serviceUrls.primary,
    standinUrl: config.serviceUrls.standin,
    gatewayUrl: config.serviceUrls.gateway,
    adviceConsumerUrl: config.serviceUrls.adviceConsumer,
    appetiteMs: config.syncLagAppetiteMs,
    timeoutMs: config.consoleTimeoutMs,
    now: () => new Date(),
  });
  const demo = config.demo
    ? startDemoCustomers(
        {
          primaryUrl: config.serviceUrls.primary,
          gatewayUrl: config.serviceUrls.gateway,
          onboardingToken: config.demo.onboardingToken,
          cardManufacturerToken: config.demo.cardManufacturerToken,
          networkToken: config.demo.networkToken,
          file: path.join(config.dataDir, 'demo-customers.json'),
        },
        logger,
      )
    : undefined;
  const server = createAppServer({ config, logger, console: consoleReader, ...(demo ? { demo } : {}) });
  const host = listenHostFromEnvironment(process.env);
  await server.listen({ port: config.port, host });
  logger.info(
    { host, port: config.port, primary: config.publicUrls.primary, standin: config.publicUrls.standin },
    'app server listening: the app at /, the console at /console',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    demo?.stop();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => shutdown(signal));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
