import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from './config';

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

const PRIMARY_URL = `http://127.0.0.1:${process.env.PRIMARY_PORT ?? 8100}`;
const STANDIN_URL = `http://127.0.0.1:${process.env.STANDIN_PORT ?? 8200}`;

export const SERVICES: readonly ServiceSpec[] = [
  // Each platform's configuration service reads the other's (convergence); primary proxies to stand-in.
  { name: 'primary', entry: 'primary/dist/main.js', port: Number(process.env.PRIMARY_PORT ?? 8100), healthPath: '/health', env: { STANDIN_URL } },
  { name: 'standin', entry: 'standin/dist/main.js', port: Number(process.env.STANDIN_PORT ?? 8200), healthPath: '/health', env: { PRIMARY_URL } },
  { name: 'syncer', entry: 'syncer/dist/main.js', port: Number(process.env.SYNCER_PORT ?? 8300), healthPath: '/health' },
  {
    name: 'advice-consumer',
    entry: 'advice-consumer/dist/main.js',
    port: Number(process.env.ADVICE_CONSUMER_PORT ?? 8400),
    healthPath: '/health',
    env: { PRIMARY_URL },
  },
  {
    // Last: the payment networks' way in, once both platforms answer.
    name: 'gateway',
    entry: 'gateway/dist/main.js',
    port: Number(process.env.GATEWAY_PORT ?? 8500),
    healthPath: '/health',
    env: { PRIMARY_URL, STANDIN_URL },
  },
];

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

export interface RunningService {
  readonly spec: ServiceSpec;
  readonly child: ChildProcess;
  readonly logFile: string;
}

export function startService(spec: ServiceSpec, logDirectory: string, env: NodeJS.ProcessEnv): RunningService {
  fs.mkdirSync(logDirectory, { recursive: true });
  const logFile = path.join(logDirectory, `${spec.name}.log`);
  const log = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(REPOSITORY_ROOT, spec.entry)], {
    cwd: REPOSITORY_ROOT,
    env: { ...env, ...spec.env, PORT: String(spec.port) },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  return { spec, child, logFile };
}

export async function waitForServiceHealth(service: RunningService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${service.spec.port}${service.spec.healthPath}`;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.spec.name} exited with code ${service.child.exitCode}; log: ${service.logFile}`);
    const healthy = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((response) => response.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${service.spec.name} did not answer ${url} within ${timeoutMs / 1000} s; log: ${service.logFile}`);
}
