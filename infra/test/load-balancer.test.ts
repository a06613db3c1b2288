import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { haproxyConfiguration, startLoadBalancer, type RunningLoadBalancer } from '../src/load-balancer';

// Issue 18: a platform's replicas behind HAProxy at one address. Real HAProxy, two small HTTP
// servers as replicas: both take traffic; one turning unready leaves rotation and comes back; one
// that vanishes (its socket closed, as a SIGKILL does) costs no request.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
    server.once('error', reject);
  });
}

interface Replica {
  readonly name: string;
  readonly port: number;
  ready: boolean;
  served: number;
  close(): Promise<void>;
}

async function startReplica(name: string): Promise<Replica> {
  const port = await freePort();
  const replica: Replica = { name, port, ready: true, served: 0, close: async () => undefined };
  const server = http.createServer((request, response) => {
    if (request.url === '/health/ready') {
      response.writeHead(replica.ready ? 200 : 503).end();
      return;
    }
    replica.served += 1;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ replica: name }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  replica.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return replica;
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

const stateOf = async (balancer: RunningLoadBalancer, name: string) => (await balancer.replicas()).find((replica) => replica.name === name)?.state;

test('the configuration health-checks /health/ready, retries a refused connection elsewhere, and keeps every replica as an unchecked backup', () => {
  const text = haproxyConfiguration({ name: 'lb-primary', port: 1, statsPort: 2, directory: '/tmp', backends: [{ name: 'primary-1', port: 3 }] });
  expect(text).toContain('option httpchk GET /health/ready');
  expect(text).toContain('retry-on conn-failure empty-response');
  expect(text).toContain('server primary-1 127.0.0.1:3 check');
  expect(text).toContain('server primary-1-unchecked 127.0.0.1:3 backup');
});

describe('with HAProxy in front of two replicas', () => {
  let replicas: Replica[];
  let balancer: RunningLoadBalancer;
  beforeAll(async () => {
    replicas = [await startReplica('r-1'), await startReplica('r-2')];
    balancer = await startLoadBalancer({
      name: 'lb-test',
      port: await freePort(),
      statsPort: await freePort(),
      directory: fs.mkdtempSync(path.join(os.tmpdir(), 'lb-test-')),
      backends: replicas.map((replica) => ({ name: replica.name, port: replica.port })),
    });
    await until('both replicas up', async () => (await balancer.replicas()).every((replica) => replica.state === 'UP'));
  });
  afterAll(async () => {
    await balancer?.stop();
    await Promise.all(replicas.map((replica) => replica.close()));
  });

  const call = async () => {
    const response = await fetch(`${balancer.url}/anything`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as { replica: string } };
  };

  test('when both are ready, then both take traffic at the one address', async () => {
    const answeredBy = new Set<string>();
    for (let i = 0; i < 10; i += 1) answeredBy.add((await call()).body.replica);
    expect([...answeredBy].sort()).toEqual(['r-1', 'r-2']);
  });

  test('when a replica turns unready, then it leaves rotation until it is ready again', async () => {
    replicas[0]!.ready = false;
    await until('r-1 out of rotation', async () => (await stateOf(balancer, 'r-1')) === 'DOWN');
    const before = replicas[0]!.served;
    for (let i = 0; i < 10; i += 1) expect((await call()).body.replica).toBe('r-2');
    expect(replicas[0]!.served).toBe(before);
    replicas[0]!.ready = true;
    await until('r-1 back in rotation', async () => (await stateOf(balancer, 'r-1')) === 'UP');
  });

  test('when a replica vanishes, then no request fails: the ones it refuses go to the other', async () => {
    await replicas[1]!.close();
    // At once, before any check noticed: each refused connection is retried on r-1.
    const answers = await Promise.all(Array.from({ length: 10 }, () => call()));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((answer) => answer.body.replica))).toEqual(new Set(['r-1']));
    await until('r-2 out of rotation', async () => (await stateOf(balancer, 'r-2')) === 'DOWN');
  });
});
