import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CHROMIUM_VARIABLE, requireChromium } from './browser';
import { printStartReport } from './cli-output';
import type { Component } from './component';
import { KAFKA_TOPIC_PREFIX_VARIABLE, kafkaTopicPrefixFromEnvironment } from '@bank/shared-contracts';
import { infraEndpoints, loadInfraConfig, REPOSITORY_ROOT } from './config';
import { hostNetworkExists } from './hosts/host-network';
import { deleteKafkaTopics } from './kafka-topics';
import { assertAllStarted, createInfra, type Infra } from './infra';
import * as lifecycle from './lifecycle';
import { runningPid } from './lifecycle';
import { serviceComponents, serviceEnvironment } from './service-environment';
import { workspacesWithMigrations } from './services';

// `npm start` and `npm test` after installation and build (see bootstrap.cjs): bring the
// infrastructure up, run every platform's migrations, then either run the services until
// Ctrl-C or run every test.

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

/** Names of the servers already running before this run: a run stops only what it started. */
function runningComponents(infra: Infra): Set<string> {
  return new Set(
    Object.values(infra.components)
      .filter((component) => runningPid(component) !== undefined)
      .map((component) => component.name),
  );
}

/** Longest a Ctrl-C may take: every service has its own deadline, the servers their grace; past this, exit anyway. */
const SHUTDOWN_DEADLINE_MS = 60_000;

async function start(infra: Infra): Promise<number> {
  const began = Date.now();
  const alreadyRunning = runningComponents(infra);
  const services = serviceComponents(infra, process.env, 'selected');
  let stopping = false;
  // Stops by pid file, not by child handle: a service that was SIGKILLed (or started by hand with
  // `npm run infra -- start <service>`) is stopped, or found gone, alike.
  const shutdown = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why}: stopping services and infrastructure ...`);
    setTimeout(() => {
      console.error(`could not stop everything within ${SHUTDOWN_DEADLINE_MS / 1000} s; see npm run infra -- status`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    const stopped: string[] = [];
    for (const service of serviceComponents(infra).reverse()) {
      if (await lifecycle.stop(service).catch(() => false)) stopped.push(service.name);
    }
    const servers = Object.values(infra.components).filter((component) => !alreadyRunning.has(component.name));
    const serversStopped = await Promise.all(
      servers.map(async (component) => ((await lifecycle.stop(component).catch(() => false)) ? component.name : undefined)),
    );
    stopped.push(...serversStopped.filter((name): name is string => name !== undefined));
    const left = [...alreadyRunning].filter((name) => runningComponents(infra).has(name));
    console.log(
      `stopped: ${stopped.join(', ') || 'nothing'}${left.length > 0 ? `; left running (they were running before npm start): ${left.join(', ')}` : ''}`,
    );
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal, 0));

  try {
    await bringUp(infra);
    for (const service of services) await lifecycle.start(service);
  } catch (error) {
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    await shutdown('start failed', 1);
  }

  const statuses = await infra.status();
  console.log(`\nready in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  console.log('infrastructure:');
  for (const s of statuses) console.log(`  ${s.name.padEnd(22)} ${s.endpoint.padEnd(48)} log: ${path.relative(REPOSITORY_ROOT, s.logFile)}`);
  console.log(services.length > 0 ? 'services:' : 'services: none');
  for (const service of services)
    console.log(`  ${service.name.padEnd(22)} ${service.endpoint.padEnd(48)} log: ${path.relative(REPOSITORY_ROOT, service.logFile)}`);
  const app = services.find((service) => service.name === 'app');
  if (app) console.log(`\nthe customer's app: ${app.endpoint}/   the incident console: ${app.endpoint}/console`);
  console.log('\ncontrol one server or service: npm run infra -- status | kill <name> | pause <name> | resume <name> | stop <name> | start <name>');
  console.log('press Ctrl-C to stop everything');
  await watch([...Object.values(infra.components), ...serviceComponents(infra)]);
  return 0;
}

/** Until Ctrl-C: report every change in a server's or service's state (killed, paused, back), as it happens. */
async function watch(components: readonly Component[]): Promise<never> {
  const WATCH_INTERVAL_MS = 5_000;
  const statuses = () => Promise.all(components.map((component) => lifecycle.status(component)));
  let previous = new Map((await statuses()).map((s) => [s.name, s.state]));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
    const current = await statuses();
    for (const s of current) {
      const before = previous.get(s.name);
      if (before !== s.state)
        console.log(
          `${new Date().toISOString()} ${s.name}: ${before} -> ${s.state}${s.detail ? ` (${s.detail})` : ''}${s.state === 'stopped' ? `; log: ${path.relative(REPOSITORY_ROOT, s.logFile)}` : ''}`,
        );
    }
    previous = new Map(current.map((s) => [s.name, s.state]));
  }
}

/**
 * The hosts topology as the chaos scenarios on it (i, j, k) bring it up: undefined where it cannot
 * exist (not root, no `ip`), so the run neither creates nor removes it.
 */
function hostsTopologyInfra(): { infra: Infra; existed: boolean } | undefined {
  try {
    const infra = createInfra(loadInfraConfig({ ...process.env, BANK_TOPOLOGY: 'hosts' }));
    return { infra, existed: process.getuid?.() === 0 && hostNetworkExists(infra.config.topology!) };
  } catch {
    return undefined;
  }
}

async function test(infra: Infra, jestArguments: readonly string[]): Promise<number> {
  const alreadyRunning = runningComponents(infra);
  const hosts = hostsTopologyInfra();
  // The run's own Kafka topics, as it has its own databases and Pub/Sub project: every service a
  // test starts inherits the prefix, so nothing of the tests reaches `npm start`'s syncer.
  const ownPrefix = process.env[KAFKA_TOPIC_PREFIX_VARIABLE] === undefined;
  if (ownPrefix) process.env[KAFKA_TOPIC_PREFIX_VARIABLE] = `test-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${randomBytes(3).toString('hex')}.`;
  const prefix = kafkaTopicPrefixFromEnvironment(process.env);
  let code = 1;
  try {
    // The app's browser tests need Chromium: installed here, before any test runs, when missing.
    process.env[CHROMIUM_VARIABLE] ??= requireChromium();
    // Kafka's provisioning (in bringUp) creates the prefixed topics too.
    const env = await bringUp(infra);
    console.log(`Kafka topics of this run: ${prefix}*`);
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
    if (ownPrefix && runningPid(infra.components.kafka) !== undefined) {
      await deleteKafkaTopics(infraEndpoints(infra.config).kafkaBrokers, prefix).catch((error: unknown) =>
        console.error(`could not delete the run's Kafka topics ${prefix}*: ${(error as Error).message}`),
      );
    }
    // Leave running what the developer had running; stop what this run started.
    for (const component of Object.values(infra.components)) {
      if (!alreadyRunning.has(component.name)) await lifecycle.stop(component);
    }
    // So does the hosts topology a scenario brought up: its servers, namespaces and links.
    if (hosts && !hosts.existed && hostNetworkExists(hosts.infra.config.topology!)) await hosts.infra.down();
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
