import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Component, Probe } from './component';
import { inNamespace } from './hosts/in-namespace';
import { InfraError } from './infra-error';
import {
  anyExists,
  componentProcesses,
  isAlive,
  launchDetached,
  processState,
  readPidFile,
  residentMemoryKib,
  signalComponent,
  waitUntil,
} from './process-control';

// start / stop / kill / pause / resume / status for any component. `start` is idempotent:
// a component that is already up and healthy is left alone (and re-provisioned, which is
// idempotent too), so `up` can be run any number of times.

const STOP_GRACE_MS = 20_000;
const PROBE_TIMEOUT_MS = 2_000;

const pidFileOf = (component: Component) => path.join(component.directory, 'pid');

export function runningPid(component: Component): number | undefined {
  const pid = readPidFile(pidFileOf(component));
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/**
 * Whether a server could listen on the port: tried by binding it, not by connecting to it. A
 * connect that timed out was taken for "in use", and on a busy machine the refusal can come after
 * the timer: a free port then refused the start.
 */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export function logTail(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text
      .slice(-lines)
      .map((line) => `    | ${line}`)
      .join('\n');
  } catch {
    return '    | (no log yet)';
  }
}

async function waitHealthy(component: Component, pid: number): Promise<Probe> {
  const deadline = Date.now() + component.startTimeoutMs;
  let last: Probe = { healthy: false, reason: 'not probed yet' };
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return { healthy: false, reason: 'the process exited during start-up' };
    last = await component.probe(PROBE_TIMEOUT_MS);
    if (last.healthy) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { healthy: false, reason: `not healthy after ${component.startTimeoutMs / 1000} s (last check: ${last.healthy ? 'ok' : last.reason})` };
}

export async function start(component: Component): Promise<void> {
  fs.mkdirSync(component.directory, { recursive: true });
  const existing = runningPid(component);
  if (existing !== undefined) {
    if (processState(existing) === 'paused') {
      throw new InfraError(
        'INFRA_START_FAILED',
        component.name,
        `is paused (pid ${existing}); run \`npm run infra -- resume ${component.name}\` first`,
        component.logFile,
      );
    }
    const health = await waitHealthy(component, existing);
    if (!health.healthy)
      throw new InfraError(
        'INFRA_START_FAILED',
        component.name,
        `is running (pid ${existing}) but unhealthy: ${health.reason}\n${logTail(component.logFile)}`,
        component.logFile,
      );
    await component.provision();
    return;
  }
  // A server in a namespace of the hosts topology listens on that host's address, which a bind
  // here (this machine's namespace) says nothing about; the namespace is the project's own.
  for (const port of component.netns === undefined ? component.ports : []) {
    if (!(await portIsFree(port))) {
      throw new InfraError(
        'INFRA_PORT_IN_USE',
        component.name,
        `port ${port} is already in use by a process this project did not start. Stop it, or choose another port (see the README's port table).`,
      );
    }
  }
  component.ensureInstalled();
  try {
    await component.prepare();
  } catch (error) {
    if (error instanceof InfraError) throw error;
    throw new InfraError('INFRA_PREPARE_FAILED', component.name, `preparation failed: ${(error as Error).message}`, component.logFile);
  }
  const pid = launchDetached(inNamespace(component.launchSpec(), component.netns));
  fs.writeFileSync(pidFileOf(component), `${pid}\n`);
  const health = await waitHealthy(component, pid);
  if (!health.healthy) {
    signalComponent(pid, 'SIGKILL');
    throw new InfraError('INFRA_START_FAILED', component.name, `did not start: ${health.reason}\n${logTail(component.logFile)}`, component.logFile);
  }
  await component.provision();
}

/** Waits until the processes are gone and the component's ports are free again. */
async function waitForExit(component: Component, pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const ports = component.netns === undefined ? component.ports : [];
  return waitUntil(async () => !anyExists(pids) && (await Promise.all(ports.map(portIsFree))).every(Boolean), timeoutMs, 100);
}

/** Graceful stop (SIGTERM, then SIGKILL after a grace period). Leaves no process behind. */
export async function stop(component: Component): Promise<boolean> {
  const pid = readPidFile(pidFileOf(component));
  const processes = pid === undefined ? [] : componentProcesses(pid);
  if (pid === undefined || processes.length === 0) return false;
  // A stopped process cannot act on SIGTERM until it is continued.
  signalComponent(pid, 'SIGCONT');
  process.kill(pid, 'SIGTERM');
  if (!(await waitForExit(component, processes, component.stopGraceMs ?? STOP_GRACE_MS))) {
    for (const straggler of processes) signalComponent(straggler, 'SIGKILL');
    await waitForExit(component, processes, 5_000);
  }
  fs.rmSync(pidFileOf(component), { force: true });
  return true;
}

/** SIGKILL to every process of the component, as a crash: no shutdown hooks, no flush. */
export async function kill(component: Component): Promise<void> {
  const killed = signalComponent(requireRunning(component), 'SIGKILL');
  await waitForExit(component, killed, 10_000);
}

/** SIGSTOP to every process of the component, as a hang: connections stay open, nothing answers. */
export function pause(component: Component): void {
  signalComponent(requireRunning(component), 'SIGSTOP');
}

export function resume(component: Component): void {
  signalComponent(requireRunning(component), 'SIGCONT');
}

function requireRunning(component: Component): number {
  const pid = runningPid(component);
  if (pid === undefined)
    throw new InfraError('INFRA_NOT_RUNNING', component.name, 'is not running; start it with `npm run infra -- start ' + component.name + '`');
  return pid;
}

export interface ComponentStatus {
  readonly name: string;
  readonly state: 'stopped' | 'healthy' | 'unhealthy' | 'paused';
  readonly pid?: number;
  readonly endpoint: string;
  readonly residentMemoryMib?: number;
  readonly detail?: string;
  readonly logFile: string;
}

export async function status(component: Component): Promise<ComponentStatus> {
  const base = { name: component.name, endpoint: component.endpoint, logFile: component.logFile };
  const pid = runningPid(component);
  if (pid === undefined) return { ...base, state: 'stopped' };
  const residentMemoryMib = Math.round(residentMemoryKib(pid) / 1024);
  if (processState(pid) === 'paused') return { ...base, state: 'paused', pid, residentMemoryMib, detail: 'SIGSTOPped' };
  const probe = await component.probe(PROBE_TIMEOUT_MS);
  return probe.healthy ? { ...base, state: 'healthy', pid, residentMemoryMib } : { ...base, state: 'unhealthy', pid, residentMemoryMib, detail: probe.reason };
}
