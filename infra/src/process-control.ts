import { spawn } from 'node:child_process';
import fs from 'node:fs';

// Each component runs as a detached process in its own process group, its pid in a file.
// Signals go to the whole group, so a SIGKILL of PostgreSQL takes its backends with it and a
// SIGSTOP freezes every process of the component, as a real hang would.

export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
}

export function launchDetached(spec: LaunchSpec): number {
  const log = fs.openSync(spec.logFile, 'a');
  try {
    fs.writeSync(log, `\n--- ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

export type ProcessState = 'running' | 'paused' | 'zombie' | 'gone';

/** Reads the kernel's view of a process: T (stopped) is how a SIGSTOPped component looks. */
export function processState(pid: number): ProcessState {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 'gone';
  }
  // The state letter follows the parenthesised command name, which may itself contain spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'T' || state === 't') return 'paused';
  if (state === 'Z' || state === 'X') return 'zombie';
  return 'running';
}

export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state === 'running' || state === 'paused';
}

interface ProcEntry {
  readonly pid: number;
  readonly parent: number;
  readonly group: number;
  readonly state: string;
}

function readProcesses(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      entries.push({ pid: Number(name), state: fields[0] ?? '', parent: Number(fields[1]), group: Number(fields[2]) });
    } catch {
      // The process exited while we looked.
    }
  }
  return entries;
}

/**
 * Every live process of a component: the one we launched, its process group, and all their
 * descendants. PostgreSQL's children call setsid(), so the group alone would miss its backends.
 */
export function componentProcesses(pid: number): number[] {
  const all = readProcesses().filter((entry) => entry.state !== 'Z' && entry.state !== 'X');
  const members = new Set(all.filter((entry) => entry.pid === pid || entry.group === pid).map((entry) => entry.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const entry of all) {
      if (!members.has(entry.pid) && members.has(entry.parent)) {
        members.add(entry.pid);
        grew = true;
      }
    }
  }
  return [...members];
}

/** Sends a signal to every process of the component (see componentProcesses); returns who got it. */
export function signalComponent(pid: number, signal: NodeJS.Signals): number[] {
  const targets = componentProcesses(pid);
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  return targets;
}

/**
 * True while any of these processes still exists, zombies included: a killed JVM lingers while its
 * threads exit, and PostgreSQL refuses to start while the pid in its lock file answers, which an
 * unreaped zombie does.
 */
export function anyExists(pids: readonly number[]): boolean {
  return pids.some((pid) => fs.existsSync(`/proc/${pid}`));
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resident memory of the whole process group, in KiB, from /proc (for the idle-memory report). */
export function residentMemoryKib(root: number): number {
  let total = 0;
  for (const pid of componentProcesses(root)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
      if (match?.[1]) total += Number(match[1]);
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

export function readPidFile(file: string): number | undefined {
  try {
    // First line: our pid files hold only the pid; PostgreSQL's postmaster.pid starts with it.
    const pid = Number(fs.readFileSync(file, 'utf8').split('\n')[0]?.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface CommandResult {
  readonly status: number | null;
  readonly output: string;
}

/**
 * Runs a preparation command (initdb, mvn, Kafka's storage tool) to completion without blocking
 * the event loop, so other components' health checks keep their own clocks meanwhile. Its output
 * is appended to the component's log.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; uid?: number; gid?: number },
): Promise<CommandResult> {
  return new Promise((resolve) => {
    fs.appendFileSync(options.logFile, `--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      fs.appendFileSync(options.logFile, chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => resolve({ status: null, output: `${output}${error.message}` }));
    child.once('close', (status) => resolve({ status, output }));
  });
}
