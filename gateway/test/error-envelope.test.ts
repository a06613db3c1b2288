import http from 'node:http';
import { TEST_PAN } from './scheme-fixtures';
import { startTestGateway, startTestPlatform, TEST_NETWORK_TOKEN, type TestGateway, type TestPlatform } from './test-platforms';

// Every 4xx the gateway answers itself is in the documented envelope {"error":{"code","message"}},
// including the refusals that happen before a route is found (a URL that is not valid
// percent-encoding) or before there is a request at all (headers too large). None echoes a card
// number, or an unbounded amount of what the caller sent.

let platform: TestPlatform;
let gateway: TestGateway;

beforeAll(async () => {
  platform = await startTestPlatform('primary');
  gateway = await startTestGateway({ PRIMARY_URL: platform.url, STANDIN_URL: platform.url });
});

afterAll(async () => {
  await gateway.stop();
  await platform.stop();
});

/** A raw request, so nothing on the client side rewrites the URL or refuses the headers. */
function rawRequest(path: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | undefined; body: unknown }> {
  const { port, hostname } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, path, method: 'GET', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

const envelope = (code: string) => ({ error: { code, message: expect.any(String) } });

test('an unknown route is 404 GATEWAY_NO_ROUTE naming the scheme paths', async () => {
  const answer = await rawRequest('/accounts');
  expect(answer).toEqual({ status: 404, contentType: expect.stringContaining('application/json'), body: envelope('GATEWAY_NO_ROUTE') });
  expect((answer.body as { error: { message: string } }).error.message).toContain('/scheme/card/authorisations');
});

test('a URL that is not valid percent-encoding is 400 GATEWAY_BAD_URL', async () => {
  const answer = await rawRequest('/%E0%A4%A');
  expect(answer).toEqual({ status: 400, contentType: expect.stringContaining('application/json'), body: envelope('GATEWAY_BAD_URL') });
});

test('headers too large are 431 GATEWAY_HEADERS_TOO_LARGE', async () => {
  const answer = await rawRequest('/health', { 'x-padding': 'a'.repeat(20_000) });
  expect(answer).toEqual({ status: 431, contentType: expect.stringContaining('application/json'), body: envelope('GATEWAY_HEADERS_TOO_LARGE') });
});

test('an over-long path is 404 with the path cut short in the message', async () => {
  const answer = await rawRequest(`/scheme/card/${'a'.repeat(5_000)}`);
  expect(answer).toEqual({ status: 404, contentType: expect.stringContaining('application/json'), body: envelope('GATEWAY_NO_ROUTE') });
  const { message } = (answer.body as { error: { message: string } }).error;
  expect(message.length).toBeLessThan(400);
  expect(message).toContain('(5013 characters)');
});

test('a card number in an unknown path is not echoed', async () => {
  const answer = await rawRequest(`/cards/${TEST_PAN}`);
  expect(answer.status).toBe(404);
  expect(JSON.stringify(answer.body)).not.toContain(TEST_PAN);
});

test('a wrong content type is 415 and a body that is not JSON is 400, both in the envelope', async () => {
  // As the network: without its credential the answer is 401 before the body is looked at.
  const network = { authorization: `Bearer ${TEST_NETWORK_TOKEN}` };
  const wrongType = await fetch(`${gateway.url}/scheme/card/authorisations`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...network },
    body: 'x',
  });
  expect([wrongType.status, await wrongType.json()]).toEqual([415, envelope('GATEWAY_BAD_REQUEST')]);
  const tooLarge = await fetch(`${gateway.url}/scheme/card/authorisations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...network },
    body: `{"x":"${'a'.repeat(70_000)}"}`,
  });
  expect([tooLarge.status, await tooLarge.json()]).toEqual([413, envelope('GATEWAY_BAD_REQUEST')]);
});
