import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { platformClient } from '../src/cli/platform-client';

// A platform that answers but cannot serve its configuration (its database down or hung: 503) is,
// for the CLI, as good as unreachable: the change goes to the other platform, which this one
// catches up from. Before, the 503 ended the command ("primary's database is unavailable").

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { code: 'PRIMARY_DEPENDENCY_UNAVAILABLE', message: "primary's database is unavailable; retry later" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('when a platform answers 503, then reading it says unreachable with its reason, rather than failing the command', async () => {
  const reading = await platformClient('primary', url, 'token', 2_000).read();
  expect(reading).toMatchObject({ platform: 'primary', reachable: false, reason: expect.stringContaining("primary's database is unavailable") });
});
