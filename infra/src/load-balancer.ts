import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { requireBinary } from './prerequisites';

// A platform's replicas behind one address: HAProxy from Debian's packages (installed by the
// project when missing and we are root, as for the other servers), checking each replica's
// /health/ready, so the gateway, the apps and the other platform see one URL per platform.

export interface LoadBalancerBackend {
  /** The replica's name in HAProxy's state (`primary-1`). */
  readonly name: string;
  readonly host?: string;
  readonly port: number;
}

export interface LoadBalancerOptions {
  /** `lb-primary`: its folder, log and configuration file are named after it. */
  readonly name: string;
  /** Where clients connect. */
  readonly host?: string;
  readonly port: number;
  /** Where HAProxy's own state is read (`/stats;csv`): which replicas are up. */
  readonly statsPort: number;
  readonly backends: readonly LoadBalancerBackend[];
  readonly directory: string;
  readonly healthPath?: string;
  /** Between checks of each replica; `fall` failed checks in a row take it out, `rise` good ones put it back. */
  readonly checkIntervalMs?: number;
  /** The network namespace it runs in (the hosts topology): its statistics are then served on `host`. */
  readonly netns?: string;
}

/**
 * A dead replica refuses the check's connection at once and is out after `fall` checks (about
 * 1.5 s; requests it refuses meanwhile are retried on another). A check waits `checkTimeoutMs`
 * for an answer: /health/ready itself waits up to 1 s for its database, and on a loaded machine
 * (2 cores, load average 20 seen) a shorter wait took healthy replicas out of rotation.
 */
export const LOAD_BALANCER_DEFAULTS = {
  healthPath: '/health/ready',
  checkIntervalMs: 500,
  checkTimeoutMs: 2_500,
  fall: 3,
  rise: 2,
  connectTimeoutMs: 500,
} as const;

/**
 * HAProxy's configuration for one platform. Why each line:
 * - `retry-on conn-failure empty-response` with `option redispatch`: a request whose replica was
 *   SIGKILLed before the health check noticed (connection refused, or closed with no answer) goes
 *   to another replica. Both platforms answer a re-sent message by its key (a card message's
 *   stored decision, a payment id credited once), so a second attempt cannot act twice.
 *   `option http-buffer-request` keeps the body, which a retry needs.
 * - No retry on a response timeout: a slow replica may still be deciding; the caller's own
 *   deadline and timeout reversal handle that, as they do with one replica.
 * - Server timeouts are long: the callers' deadlines (the gateway's, the apps') are the budget.
 * - Each replica is listed again as an unchecked `backup`: used only when every checked replica is
 *   out of rotation. A platform whose replicas all failed their checks at once is more likely slow
 *   (a loaded machine) than gone, and a replica that really cannot decide answers for itself (91,
 *   503) faster than the load balancer's certain 503 would help anyone.
 */
export function haproxyConfiguration(options: LoadBalancerOptions): string {
  const healthPath = options.healthPath ?? LOAD_BALANCER_DEFAULTS.healthPath;
  const inter = options.checkIntervalMs ?? LOAD_BALANCER_DEFAULTS.checkIntervalMs;
  const address = (backend: LoadBalancerBackend) => `${backend.host ?? '127.0.0.1'}:${backend.port}`;
  const servers = [
    ...options.backends.map((backend) => `  server ${backend.name} ${address(backend)} check`),
    ...options.backends.map((backend) => `  server ${backend.name}-unchecked ${address(backend)} backup`),
  ];
  return [
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    `  timeout connect ${LOAD_BALANCER_DEFAULTS.connectTimeoutMs}ms`,
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 10s',
    `  timeout check ${LOAD_BALANCER_DEFAULTS.checkTimeoutMs}ms`,
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    '  option http-buffer-request',
    '',
    `frontend ${options.name}`,
    `  bind ${options.host ?? '127.0.0.1'}:${options.port}`,
    `  default_backend ${options.name}-replicas`,
    '',
    `backend ${options.name}-replicas`,
    '  balance roundrobin',
    '  option allbackups',
    `  option httpchk GET ${healthPath}`,
    '  http-check expect status 200',
    `  default-server inter ${inter}ms fastinter ${inter}ms downinter ${inter}ms fall ${LOAD_BALANCER_DEFAULTS.fall} rise ${LOAD_BALANCER_DEFAULTS.rise}`,
    ...servers,
    '',
    `frontend ${options.name}-stats`,
    `  bind ${options.host ?? '127.0.0.1'}:${options.statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
}

export type ReplicaState = 'UP' | 'DOWN' | 'MAINT' | string;

export interface RunningLoadBalancer {
  readonly name: string;
  readonly url: string;
  readonly configurationFile: string;
  /** Each replica's state as HAProxy sees it now, and how many requests it has sent each. */
  replicas(): Promise<{ name: string; state: ReplicaState; requests: number }[]>;
  stop(): Promise<void>;
}

/** Finds HAProxy (in /usr/sbin on Debian, off a user's PATH), installing Debian's package when root. */
export function requireHaproxy(component: string): string {
  return requireBinary({ component, executable: 'haproxy', debianPackage: 'haproxy', extraDirectories: () => ['/usr/sbin', '/usr/local/sbin'] });
}

/** Reads HAProxy's CSV statistics: one row per server of the backend. */
async function replicaStates(options: LoadBalancerOptions) {
  const response = await fetch(`http://${options.host ?? '127.0.0.1'}:${options.statsPort}/stats;csv`, { signal: AbortSignal.timeout(2_000) });
  const [header, ...rows] = (await response.text()).split('\n').filter((line) => line.trim() !== '');
  const columns = header!.replace(/^# /, '').split(',');
  const column = (name: string) => columns.indexOf(name);
  return rows
    .map((row) => row.split(','))
    .filter(
      (cells) =>
        cells[column('pxname')] === `${options.name}-replicas` &&
        !['FRONTEND', 'BACKEND'].includes(cells[column('svname')]!) &&
        !cells[column('svname')]!.endsWith('-unchecked'),
    )
    .map((cells) => ({ name: cells[column('svname')]!, state: cells[column('status')]!.split(' ')[0]!, requests: Number(cells[column('stot')] ?? 0) }));
}

/**
 * Starts HAProxy in the foreground as a child of this process (its log: `<directory>/<name>.log`),
 * and resolves once it serves its statistics page. The replicas need not be up yet: HAProxy
 * sends them nothing until their /health/ready answers.
 */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<RunningLoadBalancer> {
  const haproxy = requireHaproxy(options.name);
  fs.mkdirSync(options.directory, { recursive: true });
  const configurationFile = path.join(options.directory, `${options.name}.cfg`);
  fs.writeFileSync(configurationFile, haproxyConfiguration(options));
  const check = spawnSyncCheck(haproxy, configurationFile);
  if (check) throw new Error(`${options.name}: HAProxy refused its configuration ${configurationFile}: ${check}`);
  const log = fs.openSync(path.join(options.directory, `${options.name}.log`), 'a');
  // -db: foreground, no daemon, so the child is HAProxy itself and dies with a SIGKILL to it.
  const arguments_ = ['-db', '-f', configurationFile];
  // In a namespace, `ip netns exec` execs HAProxy itself: the child is still HAProxy.
  const child: ChildProcess =
    options.netns === undefined
      ? spawn(haproxy, arguments_, { stdio: ['ignore', log, log] })
      : spawn('ip', ['netns', 'exec', options.netns, haproxy, ...arguments_], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name}: HAProxy exited with code ${child.exitCode}; log: ${options.directory}`);
    const up = await replicaStates(options).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name}: HAProxy did not serve its statistics within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name: options.name,
    url: `http://${options.host ?? '127.0.0.1'}:${options.port}`,
    configurationFile,
    replicas: () => replicaStates(options),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGUSR1 is HAProxy's soft stop (finish what is in flight); SIGKILL after 5 s.
      child.kill('SIGUSR1');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `haproxy -c`: the configuration's own error message, or undefined when it is valid. */
function spawnSyncCheck(haproxy: string, configurationFile: string): string | undefined {
  const result = spawnSync(haproxy, ['-c', '-q', '-f', configurationFile], { encoding: 'utf8' });
  return result.status === 0 ? undefined : (result.stderr || result.stdout).trim();
}
