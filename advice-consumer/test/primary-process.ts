import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ensureDevelopmentKeys, infraEndpoints, loadInfraConfig, REPOSITORY_ROOT } from '@bank/infra';

// The real primary, as its own process (built by `npm test`'s build step), for tests of
// components that talk to it over HTTP.

/** The credentials this primary accepts from each identity the tests play. */
export const CREDENTIALS = {
  'advice-consumer': 'advice-consumer-test-credential',
  'card-manufacturer': 'card-manufacturer-test-credential',
  onboarding: 'onboarding-test-credential',
  gateway: 'gateway-test-credential',
} as const;

/** Who a test is when it calls a primary route without naming a token: whoever the call map lets call it. */
export function credentialFor(path: string): string | undefined {
  if (path === '/accounts') return CREDENTIALS.onboarding;
  if (path.startsWith('/scheme/')) return CREDENTIALS.gateway;
  if (path.startsWith('/internal/accounts/')) return CREDENTIALS['card-manufacturer'];
  if (path.startsWith('/internal/advices')) return CREDENTIALS['advice-consumer'];
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PrimaryProcess {
  readonly url: string;
  /** SIGTERM, and wait until it has exited (its port refuses connections: primary is down). */
  stop(): Promise<void>;
  /** Starts it again on the same port, after `stop()`; resolves once it answers /health. */
  start(): Promise<void>;
}

export async function startPrimaryProcess(): Promise<PrimaryProcess> {
  const endpoints = infraEndpoints();
  const keys = ensureDevelopmentKeys(loadInfraConfig().dataDir);
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    PRIMARY_DATABASE_URL: endpoints.postgres.primary,
    PRIMARY_REDIS_URL: endpoints.redis.primary,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    ADVICE_CONSUMER_TOKEN: CREDENTIALS['advice-consumer'],
    CARD_MANUFACTURER_TOKEN: CREDENTIALS['card-manufacturer'],
    ONBOARDING_TOKEN: CREDENTIALS.onboarding,
    GATEWAY_TOKEN: CREDENTIALS.gateway,
    STANDIN_PAN_PUBLIC_KEY_B_FILE: keys.standinPanPublicKeyFile,
    LOG_LEVEL: 'warn',
  };
  const migrated = spawnSync(process.execPath, [path.join(REPOSITORY_ROOT, 'primary/dist/migrate.js')], { env, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`primary migrations failed: ${migrated.stderr}`);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    const started = spawn(process.execPath, [path.join(REPOSITORY_ROOT, 'primary/dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child = started;
    const deadline = Date.now() + 20_000;
    while (
      !(await fetch(`${url}/health`).then(
        (response) => response.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || started.exitCode !== null) throw new Error('primary did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return resolve();
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });

  await start();
  return { url, stop, start };
}
