import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPOSITORY_ROOT, type HostAddress } from '@bank/infra';

// One of the project's services as a child process of the test or benchmark, on a free port, so
// it can be killed, paused and restarted like the chaos suite needs, without touching whatever
// `npm start` may be running.

export interface ServiceDefinition {
  readonly name: string;
  /** Built entry point, relative to the repository root. */
  readonly entry: string;
  /** Schema upgrade to run before the first start, if the service owns a database. */
  readonly migrate?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly healthPath?: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  pid(): number | undefined;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT, as a hang and its end. */
  pause(): void;
  resume(): void;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after kill or stop) and waits until healthy. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

export function runMigration(definition: Pick<ServiceDefinition, 'name' | 'migrate' | 'env'>): void {
  if (!definition.migrate) return;
  const result = spawnSync(process.execPath, [path.join(REPOSITORY_ROOT, definition.migrate)], { cwd: REPOSITORY_ROOT, env: definition.env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${definition.name} migrations failed (exit ${result.status}): ${result.stderr || result.stdout}`);
}

export async function startService(
  definition: ServiceDefinition,
  options: { port?: number; healthTimeoutMs?: number; host?: HostAddress } = {},
): Promise<ServiceProcess> {
  const entry = path.join(REPOSITORY_ROOT, definition.entry);
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: build first (npx tsc -b)`);
  runMigration(definition);
  const port = options.port ?? (await freePort());
  const host = options.host?.address ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  // On the hosts topology: inside the host's namespace (`ip netns exec` execs node itself, so the
  // child is the service and its signals reach it), bound to the host's address.
  const netns = options.host?.netns;
  const [command, args] = netns === undefined ? [process.execPath, [entry]] : ['ip', ['netns', 'exec', netns, process.execPath, entry]];
  const env = { ...definition.env, PORT: String(port), ...(options.host ? { HOST: host } : {}) };
  fs.mkdirSync(path.dirname(definition.logFile), { recursive: true });
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const log = fs.openSync(definition.logFile, 'a');
    child = spawn(command, args, { cwd: REPOSITORY_ROOT, env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const running = child;
    exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    const deadline = Date.now() + (options.healthTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      if (running.exitCode !== null)
        throw new Error(`${definition.name} exited with code ${running.exitCode} before it was healthy; log: ${definition.logFile}`);
      const healthy = await fetch(`${url}${definition.healthPath ?? '/health'}`, { signal: AbortSignal.timeout(1_000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    running.kill('SIGKILL');
    throw new Error(`${definition.name} did not answer ${url}/health in time; log: ${definition.logFile}`);
  };

  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = (name: NodeJS.Signals) => {
    if (alive()) child!.kill(name);
  };

  await launch();
  return {
    name: definition.name,
    url,
    port,
    pid: () => (alive() ? child?.pid : undefined),
    async kill() {
      signal('SIGKILL');
      await exited;
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async stop() {
      if (!alive()) return;
      signal('SIGCONT');
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async restart() {
      if (alive()) throw new Error(`${definition.name} is still running; kill or stop it first`);
      await launch();
    },
  };
}
