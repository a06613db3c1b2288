import fs from 'node:fs';
import path from 'node:path';
import type { Component, Probe } from './component';
import { REPOSITORY_ROOT, type InfraConfig } from './config';

/**
 * The project's own services that `npm start` runs, in start order. Each issue that adds a
 * service adds it here; `npm start` runs it and prints where it is.
 */
export interface ServiceSpec {
  readonly name: string;
  /** Script run with the project's Node, relative to the repository root. */
  readonly entry: string;
  readonly port: number;
  readonly healthPath: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Ports and URLs come from the environment (PRIMARY_PORT, ...), so two stacks on one machine do not collide. */
export function serviceSpecs(env: NodeJS.ProcessEnv = process.env): ServiceSpec[] {
  const port = (name: string, fallback: number) => Number(env[name] ?? fallback);
  const PRIMARY_URL = `http://127.0.0.1:${port('PRIMARY_PORT', 8100)}`;
  const STANDIN_URL = `http://127.0.0.1:${port('STANDIN_PORT', 8200)}`;
  const schemePort = port('FASTER_PAYMENTS_SCHEME_PORT', 8600);
  // Both platforms submit outbound Faster Payments here; first, so their first submission is answered.
  const FASTER_PAYMENTS_SCHEME_URL = `http://127.0.0.1:${schemePort}/faster-payments`;
  // The browser app calls both platforms from the app server's origin: allowed wherever APP_PORT puts it.
  const appPort = port('APP_PORT', 8700);
  const APP_ORIGINS = env.APP_ORIGINS ?? `http://127.0.0.1:${appPort},http://localhost:${appPort}`;
  return [
    { name: 'faster-payments-scheme', entry: 'e2e/dist/simulator/faster-payments-scheme-main.js', port: schemePort, healthPath: '/health' },
    // Each platform's configuration service reads the other's (convergence); primary proxies to stand-in.
    {
      name: 'primary',
      entry: 'primary/dist/main.js',
      port: port('PRIMARY_PORT', 8100),
      healthPath: '/health',
      env: { STANDIN_URL, FASTER_PAYMENTS_SCHEME_URL, APP_ORIGINS },
    },
    {
      name: 'standin',
      entry: 'standin/dist/main.js',
      port: port('STANDIN_PORT', 8200),
      healthPath: '/health',
      // The gateway: the autopilot reads what the data centre sees of primary.
      env: { PRIMARY_URL, FASTER_PAYMENTS_SCHEME_URL, APP_ORIGINS, GATEWAY_URL: `http://127.0.0.1:${port('GATEWAY_PORT', 8500)}` },
    },
    { name: 'syncer', entry: 'syncer/dist/main.js', port: port('SYNCER_PORT', 8300), healthPath: '/health' },
    { name: 'advice-consumer', entry: 'advice-consumer/dist/main.js', port: port('ADVICE_CONSUMER_PORT', 8400), healthPath: '/health', env: { PRIMARY_URL } },
    // The payment networks' way in, once both platforms answer.
    { name: 'gateway', entry: 'gateway/dist/main.js', port: port('GATEWAY_PORT', 8500), healthPath: '/health', env: { PRIMARY_URL, STANDIN_URL } },
    // Last: the customer's app and the incident console (in local mode it makes demo customers through the gateway).
    {
      name: 'app',
      entry: 'app/dist/server/main.js',
      port: appPort,
      healthPath: '/health',
      env: {
        PRIMARY_URL,
        STANDIN_URL,
        GATEWAY_URL: `http://127.0.0.1:${port('GATEWAY_PORT', 8500)}`,
        ADVICE_CONSUMER_URL: `http://127.0.0.1:${port('ADVICE_CONSUMER_PORT', 8400)}`,
      },
    },
  ];
}

export const SERVICE_NAMES = serviceSpecs({}).map((spec) => spec.name);

export function isServiceName(name: string): boolean {
  return SERVICE_NAMES.includes(name);
}

/**
 * Which services `npm start` runs: all, or those named in BANK_SERVICES (comma-separated), e.g.
 * to run a platform from a debugger instead.
 */
export function selectedServices(env: NodeJS.ProcessEnv = process.env): ServiceSpec[] {
  const all = serviceSpecs(env);
  const wanted = (env.BANK_SERVICES ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (wanted.length === 0) return all;
  const unknown = wanted.filter((name) => !isServiceName(name));
  if (unknown.length > 0) throw new Error(`BANK_SERVICES names ${unknown.join(', ')}; the services are ${SERVICE_NAMES.join(', ')}`);
  return all.filter((spec) => wanted.includes(spec.name));
}

interface WorkspaceManifest {
  readonly name: string;
  readonly scripts?: Record<string, string>;
}

/** Workspaces that own a database schema declare a `migrate` script; `npm start` and `npm test` run each. */
export function workspacesWithMigrations(): string[] {
  const root = JSON.parse(fs.readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces.filter((workspace) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(REPOSITORY_ROOT, workspace, 'package.json'), 'utf8')) as WorkspaceManifest;
    return manifest.scripts?.migrate !== undefined;
  });
}

/** Where `npm start`'s services keep their pid files and logs (BANK_SERVICES_DIR, default <data dir>/services). */
export function servicesDirectory(config: InfraConfig, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.BANK_SERVICES_DIR || path.join(config.dataDir, 'services'));
}

/**
 * A service as a component: a detached process with a pid file, like the servers, so
 * `npm run infra -- start|stop|kill|pause|resume <service>` works from any shell while
 * `npm start` runs, and `npm start`'s Ctrl-C stops whatever of them is running, whoever started it
 * and whatever happened to it meanwhile (a service that was SIGKILLed has nothing left to wait for).
 */
export function serviceComponent(spec: ServiceSpec, directory: string, env: NodeJS.ProcessEnv): Component {
  const serviceDirectory = path.join(directory, spec.name);
  const logFile = path.join(directory, `${spec.name}.log`);
  const healthUrl = `http://127.0.0.1:${spec.port}${spec.healthPath}`;
  return {
    name: spec.name,
    description: `the ${spec.name} service (${spec.entry})`,
    endpoint: `http://127.0.0.1:${spec.port}`,
    ports: [spec.port],
    directory: serviceDirectory,
    logFile,
    startTimeoutMs: 60_000,
    // Each service stops within its own deadline (10 s or less); this is the runner's backstop.
    stopGraceMs: 15_000,
    ensureInstalled() {
      if (!fs.existsSync(path.join(REPOSITORY_ROOT, spec.entry))) throw new Error(`${spec.entry} is not built; run npm run build`);
    },
    async prepare() {
      fs.mkdirSync(serviceDirectory, { recursive: true });
    },
    launchSpec: () => ({
      command: process.execPath,
      args: [path.join(REPOSITORY_ROOT, spec.entry)],
      cwd: REPOSITORY_ROOT,
      env: { ...env, ...spec.env, PORT: String(spec.port) },
      logFile,
    }),
    async probe(timeoutMs): Promise<Probe> {
      try {
        const response = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
        return response.ok ? { healthy: true } : { healthy: false, reason: `${healthUrl} answered ${response.status}` };
      } catch (error) {
        return { healthy: false, reason: `${healthUrl}: ${(error as Error).message}` };
      }
    },
    async provision() {},
  };
}
