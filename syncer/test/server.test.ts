import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildSyncerServer } from '../src/server';

// The syncer's HTTP API (issue 12, part 6): every refusal, fastify's and Node's own included,
// uses the documented envelope {"error":{"code","message"}}. Health is a plain function here:
// what is tested is the HTTP surface.

let server: FastifyInstance;
let port: number;
beforeAll(async () => {
  server = buildSyncerServer({ registry: new Registry(), health: async () => ({ status: 'ok', consumer: 'running', database: 'ok' }) });
  await server.listen({ port: 0, host: '127.0.0.1' });
  port = (server.server.address() as net.AddressInfo).port;
});
afterAll(() => server.close());

/** Sends `request` as it is (fetch would refuse or re-encode it) and reads the whole answer. */
function raw(request: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer')));
  });
}

const get = (path: string) => raw(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
const envelope = (code: string) => ({ error: { code, message: expect.any(String) } });

test('when the route exists, then it still answers as before', async () => {
  expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok', consumer: 'running', database: 'ok' } });
});

test('when the route does not exist, however long its path, then 404 with the envelope', async () => {
  expect(await get('/no/such/route')).toEqual({ status: 404, body: envelope('SYNCER_ROUTE_NOT_FOUND') });
  expect(await get(`/health/${'x'.repeat(5_000)}`)).toEqual({ status: 404, body: envelope('SYNCER_ROUTE_NOT_FOUND') });
});

test('when the URL is not valid percent-encoding, then 400 with the envelope', async () => {
  expect(await get('/%E0%A4%A')).toEqual({ status: 400, body: envelope('SYNCER_BAD_URL') });
});

test('when the headers are too large, then 431 with the envelope', async () => {
  expect(await raw(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'x'.repeat(20_000)}\r\n\r\n`)).toEqual({
    status: 431,
    body: envelope('SYNCER_HEADERS_TOO_LARGE'),
  });
});

test('when the request is not HTTP at all, then 400 with the envelope', async () => {
  expect(await raw('NONSENSE\r\n\r\n')).toEqual({ status: 400, body: envelope('SYNCER_MALFORMED_REQUEST') });
});
