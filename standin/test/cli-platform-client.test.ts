import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INITIAL_CONFIGURATION, type ConfigurationDocument } from '@bank/shared-contracts';
import { applyChange, type Clients } from '../src/cli/apply-change';
import { CliError } from '../src/cli/cli-error';
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

test('when primary is behind and cannot take the newer version now (503), then the change still goes through stand-in, and says primary catches up', async () => {
  const behind = { ...INITIAL_CONFIGURATION, version: 2, updatedAt: '2026-12-06T07:00:00.000Z', updatedBy: 'e2e', reason: 'earlier change' };
  const current = { ...behind, version: 3, reason: 'stand-in took it' };
  const unavailable = () => Promise.reject(new CliError('UNAVAILABLE', "primary at http://primary: primary's database is unavailable"));
  let written: ConfigurationDocument | undefined;
  const clients = {
    primary: {
      platform: 'primary',
      url: 'http://primary',
      read: async () => ({ platform: 'primary', url: 'http://primary', reachable: true, configuration: behind }),
      adopt: unavailable,
    },
    standin: {
      platform: 'standin',
      url: 'http://standin',
      read: async () => ({ platform: 'standin', url: 'http://standin', reachable: true, configuration: current }),
      change: async (change: { basedOnVersion: number; components?: unknown }) =>
        (written = { ...current, version: change.basedOnVersion + 1, components: { ...current.components, ...(change.components as object) } }),
      advicesInFlight: async () => ({ total: { notPublished: 0, publishedNotApplied: 0, users: 0 }, byUser: [] }),
    },
  } as unknown as Clients;

  const outcome = await applyChange(clients, { reason: 'test', plan: () => ({ components: { app: { mode: 'everyone' } } }), confirm: async () => undefined });

  expect(outcome.changed).toBe(true);
  expect(written?.version).toBe(4);
  expect(outcome.notes.join('\n')).toContain('catches up from its peer');
});
