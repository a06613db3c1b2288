import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { GATEWAY_ERROR_CODES } from '../src/errors';
import type { Dispatch } from '../src/message-dispatch';
import { withoutCardNumbers } from '@bank/shared-contracts';
import { readSchemeMessage } from '../src/message-validation';
import { createGatewayMetrics } from '../src/metrics';
import { createRouting } from '../src/routing';
import { schemeMessage } from '../src/scheme-messages';
import { createGatewayServer } from '../src/server';
import { TEST_PAN, authorisation, clearing, fasterPayment } from './scheme-fixtures';

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The payment network's credential: these tests are the network. */
const NETWORK_TOKEN = 'message-validation-network-token';

/** fastify's inject does not load under jest (an ESM dependency), so each test listens on a free port. */
async function send(app: FastifyInstance, method: string, path: string, options: { contentType?: string; body?: string } = {}) {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { ...(options.contentType ? { 'content-type': options.contentType } : {}), authorization: `Bearer ${NETWORK_TOKEN}` },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const body = await response.text();
  return { statusCode: response.status, body, json: () => JSON.parse(body) as unknown };
}

const servers: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of servers.splice(0)) await app.close();
});

function server() {
  const metrics = createGatewayMetrics();
  const logger = pino({ level: 'silent' });
  const dispatched: string[] = [];
  const dispatch: Dispatch = async (kind) => {
    dispatched.push(kind.name);
    throw new Error('an invalid message must never be forwarded');
  };
  const app = createGatewayServer({
    dispatch,
    routing: createRouting({ autoFailover: false, logger, metrics, now: () => new Date() }),
    metrics,
    logger,
    reversals: { pending: () => ({ primary: 0, standin: 0 }) },
    networkCredentials: [NETWORK_TOKEN],
  });
  servers.push(app);
  return { dispatched, app };
}

describe('reading a scheme message', () => {
  test('a valid message of each kind is accepted', () => {
    expect(() => readSchemeMessage(schemeMessage('card_authorisation'), bytes(authorisation()))).not.toThrow();
    expect(() => readSchemeMessage(schemeMessage('card_clearing'), bytes(clearing()))).not.toThrow();
    expect(() => readSchemeMessage(schemeMessage('fps_inbound'), bytes(fasterPayment()))).not.toThrow();
  });

  test('when fields are wrong, then the error names each of them and what was expected', () => {
    const message = { ...authorisation({ amountMinor: 12.5, stan: '12' }), merchant: { ...authorisation().merchant, categoryCode: 'CAFE' } };
    expect(() => readSchemeMessage(schemeMessage('card_authorisation'), bytes(message))).toThrow(
      expect.objectContaining({
        code: GATEWAY_ERROR_CODES.invalidMessage,
        statusCode: 400,
        issues: expect.arrayContaining([
          { path: 'amountMinor', message: expect.stringContaining('integer') },
          { path: 'stan', message: expect.stringContaining('6-digit STAN') },
          { path: 'merchant.categoryCode', message: expect.stringContaining('merchant category code') },
        ]),
      }),
    );
  });

  test('a card number in an unknown key is not repeated in the error', () => {
    expect(withoutCardNumbers(`Unrecognized key: "${TEST_PAN}"`)).toBe('Unrecognized key: "[card number]"');
  });
});

describe('an invalid message sent to the gateway', () => {
  test('when the PAN is malformed and a field is missing, then the answer is 400 naming both fields, without the PAN, and nothing is forwarded', async () => {
    const { app, dispatched } = server();
    const withoutEntryMode: Record<string, unknown> = authorisation({ pan: `${TEST_PAN}X` });
    delete withoutEntryMode.posEntryMode;
    const response = await send(app, 'POST', '/scheme/card/authorisations', { contentType: 'application/json', body: JSON.stringify(withoutEntryMode) });
    expect(response.statusCode).toBe(400);
    const body = response.json() as { error: { code: string; message: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('GATEWAY_INVALID_MESSAGE');
    expect(body.error.issues.map((issue) => issue.path).sort()).toEqual(['pan', 'posEntryMode']);
    expect(body.error.message).toContain('card authorisation request is invalid');
    expect(response.body).not.toContain(TEST_PAN);
    expect(dispatched).toEqual([]);
  });

  test('when a card number is smuggled in as an unknown field name, then the 400 does not repeat it', async () => {
    const { app } = server();
    const response = await send(app, 'POST', '/scheme/card/reversals', { contentType: 'application/json', body: JSON.stringify({ [TEST_PAN]: 1 }) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('[card number]');
    expect(response.body).not.toContain(TEST_PAN);
  });

  test('when the body is not JSON, then the answer is 400 and does not quote the body', async () => {
    const { app, dispatched } = server();
    const response = await send(app, 'POST', '/scheme/card/authorisations', { contentType: 'application/json', body: `{"pan":"${TEST_PAN}",` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'GATEWAY_INVALID_MESSAGE', message: expect.stringContaining('not valid JSON') } });
    expect(response.body).not.toContain(TEST_PAN);
    expect(dispatched).toEqual([]);
  });

  test('when the body is not sent as JSON, then the answer is a JSON 415 saying what to send', async () => {
    const { app } = server();
    const response = await send(app, 'POST', '/scheme/faster-payments/inbound', { contentType: 'text/plain', body: JSON.stringify(fasterPayment()) });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ error: { code: 'GATEWAY_BAD_REQUEST', message: expect.stringContaining('content-type application/json') } });
  });

  test('when the path is not a scheme path, then the answer is a JSON 404 listing the scheme paths', async () => {
    const { app } = server();
    const response = await send(app, 'POST', '/scheme/card/refunds', { contentType: 'application/json', body: '{}' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'GATEWAY_NO_ROUTE', message: expect.stringContaining('/scheme/card/authorisations') } });
  });

  test('an invalid message is counted as invalid', async () => {
    const { app } = server();
    await send(app, 'POST', '/scheme/card/clearings', { contentType: 'application/json', body: '{}' });
    const metrics = (await send(app, 'GET', '/metrics')).body;
    expect(metrics).toMatch(/gateway_messages_total\{message="card_clearing",destination="none",outcome="invalid"\} 1/);
  });
});
