import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../src';
import { isAlive, readPidFile, waitUntil } from '../src/process-control';

// Issue 14: `npm start` as a newcomer and a supervisor use it. `kill -INT <pid of the bootstrap>`
// stopped nothing (the bootstrap kept its child to itself); after a service was SIGKILLed, Ctrl-C
// stopped the services but left every server up (the runner waited for an `exit` that had already
// happened); a killed service could not be brought back without restarting the world.
// The runner here runs one service (the Faster Payments scheme, which needs no database) in a
// services folder of its own, on the servers the test run already has up (which it must leave up).

const servicesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bank-runner-'));
const SCHEME = 'faster-payments-scheme';
const pidFile = path.join(servicesDir, SCHEME, 'pid');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  env = { ...process.env, BANK_SERVICES: SCHEME, BANK_SERVICES_DIR: servicesDir, FASTER_PAYMENTS_SCHEME_PORT: String(await freePort()) };
});
afterAll(() => fs.rmSync(servicesDir, { recursive: true, force: true }));

interface Started {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** `npm start` as `npm start` runs it (node infra/bootstrap.cjs start), until it says it is ready. */
async function npmStart(): Promise<Started> {
  const child = spawn(process.execPath, [path.join(REPOSITORY_ROOT, 'infra', 'bootstrap.cjs'), 'start'], {
    cwd: REPOSITORY_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([waitUntil(() => output.includes('press Ctrl-C to stop everything'), 150_000, 200), exited.then(() => false)]);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`npm start did not get ready:\n${output}`);
  }
  return { child, exited, output: () => output };
}

/** `npm run infra -- <args>` from another shell. */
function infraCli(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join(REPOSITORY_ROOT, 'infra', 'bootstrap.cjs'), 'infra', ...args], {
    cwd: REPOSITORY_ROOT,
    env,
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const schemePid = () => readPidFile(pidFile);
const schemeAlive = () => {
  const pid = schemePid();
  return pid !== undefined && isAlive(pid);
};

test('when the bootstrap alone is sent SIGINT (not the whole process group), then it forwards it and everything npm start started stops', async () => {
  const started = await npmStart();
  expect(started.output()).toContain(`${SCHEME} `);
  expect(schemeAlive()).toBe(true);
  const pid = schemePid();

  started.child.kill('SIGINT');
  expect(await started.exited).toBe(0);
  expect(pid !== undefined && isAlive(pid)).toBe(false);
  // The servers were up before this npm start (the test run's): left alone, and said so.
  expect(started.output()).toMatch(/left running \(they were running before npm start\)/);
}, 200_000);

test('when a service was SIGKILLed and brought back with npm run infra -- start, then SIGTERM still stops everything, and one already dead is no obstacle', async () => {
  const started = await npmStart();
  const first = schemePid();

  const killed = infraCli('kill', SCHEME);
  expect(killed.output).toContain(`${SCHEME} killed (SIGKILL)`);
  expect(schemeAlive()).toBe(false);

  // One service back, the rest untouched: no restart of the world.
  const back = infraCli('start', SCHEME);
  expect(back.output).toContain(`${SCHEME} started and healthy`);
  expect(schemeAlive()).toBe(true);
  expect(schemePid()).not.toBe(first);
  expect(infraCli('status').output).toMatch(new RegExp(`${SCHEME}\\s+healthy`));

  // Dead again, by SIGKILL: the runner has no child left to wait for.
  infraCli('kill', SCHEME);
  started.child.kill('SIGTERM');
  const exitedInTime = await Promise.race([
    started.exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref()),
  ]);
  if (!exitedInTime) started.child.kill('SIGKILL');
  expect(exitedInTime).toBe(true);
  expect(started.output()).toContain('SIGTERM: stopping services and infrastructure');
}, 300_000);

test('when a service started by hand is running, then npm start stops it too', async () => {
  const started = await npmStart();
  infraCli('stop', SCHEME);
  expect(schemeAlive()).toBe(false);
  infraCli('start', SCHEME);
  const byHand = schemePid();
  expect(byHand !== undefined && isAlive(byHand)).toBe(true);
  started.child.kill('SIGINT');
  expect(await started.exited).toBe(0);
  expect(byHand !== undefined && isAlive(byHand)).toBe(false);
}, 300_000);
