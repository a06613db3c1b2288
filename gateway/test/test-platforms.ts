import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { ConfigurationDocument } from '@bank/shared-contracts';
import { gatewayConfigFromEnvironment } from '../src/config';
import { createGateway, type Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';

// Small real HTTP servers in a platform's place, so forwarding, deadlines and refused connections
// are exercised over real sockets. The end-to-end test runs the gateway against the real platforms.

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Buffer;
  readonly authorization: string | undefined;
}

export type PlatformReply = { readonly status: number; readonly body: string; readonly contentType?: string; readonly retryAfter?: string } | 'hang';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface TestPlatform {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  /** Scheme messages received (POSTs), not configuration reads or health probes. */
  schemeMessages(): ReceivedRequest[];
  answerWith(reply: (request: ReceivedRequest) => PlatformReply): void;
  /** What GET /configuration answers: a document, or HTTP 500. */
  serveConfiguration(document: ConfigurationDocument | 'fail'): void;
  /** The status GET /health and GET /health/route answer (default 200 for both). */
  serveHealth(statuses: { readonly decide?: number; readonly route?: number }): void;
  stop(): Promise<void>;
}

export async function startTestPlatform(name: 'primary' | 'standin', port = 0): Promise<TestPlatform> {
  const received: ReceivedRequest[] = [];
  let reply: (request: ReceivedRequest) => PlatformReply = () => ({ status: 200, body: JSON.stringify({ decidedBy: name }) });
  let configuration: ConfigurationDocument | 'fail' | undefined;
  let health = { decide: 200, route: 200 };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const seen: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        body: Buffer.concat(chunks),
        authorization: request.headers.authorization,
      };
      // The gateway's probe of primary (primary-view.ts), every second: answered, not recorded.
      if (seen.method === 'GET' && seen.path === '/health/live')
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"live"}');
      received.push(seen);
      if (seen.method === 'GET' && seen.path === '/health')
        return void response
          .writeHead(health.decide, { 'content-type': 'application/json' })
          .end(`{"status":"${health.decide === 200 ? 'ok' : 'unavailable'}"}`);
      if (seen.method === 'GET' && seen.path === '/health/route')
        return void response.writeHead(health.route, { 'content-type': 'application/json' }).end(`{"status":"${health.route === 200 ? 'ok' : 'unavailable'}"}`);
      if (seen.method === 'GET' && seen.path === '/configuration') {
        if (configuration === undefined || configuration === 'fail')
          return void response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"STANDIN_INTERNAL","message":"broken"}}');
        return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(configuration));
      }
      const answer = reply(seen);
      if (answer === 'hang') return;
      response
        .writeHead(answer.status, {
          'content-type': answer.contentType ?? 'application/json',
          ...(answer.retryAfter ? { 'retry-after': answer.retryAfter } : {}),
        })
        .end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    received,
    schemeMessages: () => received.filter((request) => request.method === 'POST'),
    answerWith: (next) => void (reply = next),
    serveConfiguration: (document) => void (configuration = document),
    serveHealth: (statuses) => void (health = { ...health, ...statuses }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The payment network's credential for gateways started here (NETWORK_TOKEN). */
export const TEST_NETWORK_TOKEN = 'gateway-test-network-token';

export interface TestGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly logs: Record<string, unknown>[];
  post(
    path: string,
    body: string,
  ): Promise<{ status: number; body: string; json: Record<string, unknown>; destination: string | null; retryAfter: string | null }>;
  routing(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** A data directory of the test's own, removed when the process exits. */
export function temporaryDataDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-test-'));
  process.once('exit', () => fs.rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** The gateway in this process, on a free port, logging into `logs`; its own data directory unless GATEWAY_DATA_DIR is given. */
export async function startTestGateway(env: NodeJS.ProcessEnv): Promise<TestGateway> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = gatewayConfigFromEnvironment({
    BANK_MODE: 'local',
    GATEWAY_CONFIG_POLL_MS: '50',
    GATEWAY_DATA_DIR: temporaryDataDirectory(),
    NETWORK_TOKEN: TEST_NETWORK_TOKEN,
    ...env,
  });
  const gateway = createGateway(config, createLogger({ level: 'info' }, sink));
  await gateway.ready;
  await gateway.server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(gateway.server.server.address() as AddressInfo).port}`;
  return {
    url,
    gateway,
    logs,
    async post(path, body) {
      // As the payment network: the scheme routes are its only.
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_NETWORK_TOKEN}` },
        body,
      });
      const text = await response.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // a platform may answer something that is not JSON; the raw text is still there
      }
      return {
        status: response.status,
        body: text,
        json,
        destination: response.headers.get('x-gateway-destination'),
        retryAfter: response.headers.get('retry-after'),
      };
    },
    routing: async () => (await (await fetch(`${url}/routing`)).json()) as Record<string, unknown>,
    stop: () => gateway.stop(),
  };
}

export async function eventually<T>(what: string, probe: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
