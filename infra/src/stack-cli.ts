import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { printStartReport } from './cli-output';
import { infraEndpoints, REPOSITORY_ROOT } from './config';
import { ensureDevelopmentKeys } from './development-keys';
import { assertAllStarted, createInfra, type Infra } from './infra';
import { runningPid } from './lifecycle';
import { SERVICES, startService, waitForServiceHealth, workspacesWithMigrations, type RunningService } from './services';

// `npm start` and `npm test` after installation and build (see bootstrap.cjs): bring the
// infrastructure up, run every platform's migrations, then either run the services until
// Ctrl-C or run every test.

function serviceEnvironment(infra: Infra): NodeJS.ProcessEnv {
  const endpoints = infraEndpoints(infra.config);
  const keys = ensureDevelopmentKeys(infra.config.dataDir);
  return {
    ...process.env,
    PRIMARY_DATABASE_URL: endpoints.postgres.primary,
    STANDIN_DATABASE_URL: endpoints.postgres.standin,
    PRIMARY_REDIS_URL: endpoints.redis.primary,
    STANDIN_REDIS_URL: endpoints.redis.standin,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    PUBSUB_EMULATOR_HOST: endpoints.pubsub.apiEndpoint,
    PUBSUB_PROJECT_ID: endpoints.pubsub.projectId,
    METADATA_SERVER_DETECTION: 'none',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    STANDIN_PAN_PUBLIC_KEY_B_FILE: keys.standinPanPublicKeyFile,
    STANDIN_PAN_PRIVATE_KEY_B_FILE: keys.standinPanPrivateKeyFile,
    // The gateway's own disk: the timeout reversals it owes, kept across its restarts.
    GATEWAY_DATA_DIR: path.join(infra.config.dataDir, 'gateway'),
  };
}

async function bringUp(infra: Infra): Promise<NodeJS.ProcessEnv> {
  console.log(`starting infrastructure (data and logs in ${infra.config.dataDir})`);
  const began = Date.now();
  assertAllStarted(await infra.up(printStartReport));
  console.log(`infrastructure ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  const env = serviceEnvironment(infra);
  for (const workspace of workspacesWithMigrations()) {
    console.log(`migrating ${workspace}`);
    const result = spawnSync('npm', ['run', '--silent', 'migrate', '-w', workspace], { cwd: REPOSITORY_ROOT, env, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`migrations of ${workspace} failed (exit ${result.status})`);
  }
  return env;
}

async function start(infra: Infra): Promise<number> {
  const began = Date.now();
  const env = await bringUp(infra);
  const services: RunningService[] = [];
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping services and infrastructure ...`);
    for (const service of services.reverse()) service.child.kill('SIGTERM');
    await Promise.all(services.map((service) => new Promise((resolve) => (service.child.exitCode !== null ? resolve(null) : service.child.once('exit', resolve)))));
    const stopped = await infra.down();
    console.log(`stopped: ${[...services.map((service) => service.spec.name), ...stopped].join(', ') || 'nothing'}`);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  for (const spec of SERVICES) {
    const service = startService(spec, path.join(infra.config.dataDir, 'services'), env);
    services.push(service);
    await waitForServiceHealth(service, 60_000);
  }

  const statuses = await infra.status();
  console.log(`\nready in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  console.log('infrastructure:');
  for (const s of statuses) console.log(`  ${s.name.padEnd(16)} ${s.endpoint.padEnd(48)} log: ${path.relative(REPOSITORY_ROOT, s.logFile)}`);
  console.log(services.length > 0 ? 'services:' : 'services: none yet');
  for (const service of services) console.log(`  ${service.spec.name.padEnd(16)} http://127.0.0.1:${service.spec.port}`.padEnd(67) + ` log: ${path.relative(REPOSITORY_ROOT, service.logFile)}`);
  console.log('\ncontrol one component: npm run infra -- status | kill <name> | pause <name> | resume <name> | start <name>');
  console.log('press Ctrl-C to stop everything');
  for (const service of services) {
    service.child.once('exit', (code) => console.error(`${service.spec.name} exited (code ${code}); log: ${service.logFile}`));
  }
  await watchInfrastructure(infra);
  return 0;
}

/** Until Ctrl-C: report every change in a component's state (killed, paused, back), as it happens. */
async function watchInfrastructure(infra: Infra): Promise<never> {
  const WATCH_INTERVAL_MS = 5_000;
  let previous = new Map((await infra.status()).map((s) => [s.name, s.state]));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
    const current = await infra.status();
    for (const s of current) {
      const before = previous.get(s.name);
      if (before !== s.state) console.log(`${new Date().toISOString()} ${s.name}: ${before} -> ${s.state}${s.detail ? ` (${s.detail})` : ''}`);
    }
    previous = new Map(current.map((s) => [s.name, s.state]));
  }
}

async function test(infra: Infra, jestArguments: readonly string[]): Promise<number> {
  const alreadyRunning = new Set(Object.values(infra.components).filter((component) => runningPid(component) !== undefined).map((component) => component.name));
  let code = 1;
  try {
    const env = await bringUp(infra);
    // One test file at a time: integration tests kill and pause shared servers. Asynchronously,
    // so this process keeps reaping the servers it started when a test kills one (a zombie
    // postmaster would keep PostgreSQL from restarting).
    const jest = spawn(process.execPath, [path.join(REPOSITORY_ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--runInBand', ...jestArguments], {
      cwd: REPOSITORY_ROOT,
      env,
      stdio: 'inherit',
    });
    code = await new Promise<number>((resolve) => jest.once('close', (status) => resolve(status ?? 1)));
  } finally {
    // Leave running what the developer had running; stop what this run started.
    for (const component of Object.values(infra.components)) {
      if (!alreadyRunning.has(component.name)) await infra.stop(component.name);
    }
  }
  return code;
}

async function main(): Promise<number> {
  const [mode, ...rest] = process.argv.slice(2);
  const infra = createInfra();
  if (mode === 'start') return start(infra);
  if (mode === 'test') return test(infra, rest);
  console.error('usage: stack-cli start | test [jest arguments]');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
