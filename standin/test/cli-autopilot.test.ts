import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INITIAL_CONFIGURATION, type AutopilotStatus } from '@bank/shared-contracts';
import { autopilotChange, autopilotCommand, componentsOption, holdOption } from '../src/cli/autopilot-options';
import { renderAutopilotStatus } from '../src/cli/autopilot-render';
import { runCli, type CliIo } from '../src/cli/standin-cli';

// `standin autopilot`: the command line to one settings change, refused before anything is sent
// when it is unsafe or unclear; and the status an engineer reads at 3 a.m.

const current: AutopilotStatus['current'] = {
  version: 2,
  settings: {
    mode: 'dry-run',
    optIn: { cardPayments: true, fasterPayments: false, apps: true, directConnect: false },
    holdMs: 30_000,
    failureShare: 0.5,
    minMessages: 20,
    maxChangesPerHour: 3,
  },
  changedBy: 'alice',
  reason: 'INC-21 trying it',
  changedAt: '2026-12-07T03:00:00.000Z',
};
const nothingOptedIn = {
  ...current,
  settings: { ...current.settings, optIn: { cardPayments: false, fasterPayments: false, apps: false, directConnect: false } },
};

const status: AutopilotStatus = {
  current,
  history: [],
  latest: {
    sample: {
      at: '2026-12-07T03:10:00.000Z',
      standinHealthy: true,
      primaryFromStandin: 'unreachable',
      gateway: {
        toPrimary: { total: 40, timedOut: 30, connectionFailed: 10, serverErrors: 0, issuerUnavailable: 0 },
        primaryBreakerOpen: true,
        primaryAnswersProbe: false,
      },
      sync: { lagMs: 42_000, alerting: true, syncerSilentMs: 40_000 },
    },
    evidence: {
      cardPayments: { holds: true, why: "the gateway's breaker for primary open for 30 s (primary unreachable from stand-in too)" },
      fasterPayments: { holds: true, why: "the gateway's breaker for primary open for 30 s (primary unreachable from stand-in too)" },
      apps: { holds: true, why: "primary unreachable from stand-in's cloud for 30 s" },
      directConnect: { holds: false, why: "primary answered the gateway's probe in part of the time (slow is not unreachable)" },
    },
    switchOn: [],
    withheld: [{ component: 'fasterPayments', why: 'not opted in' }],
  },
  alreadyOn: ['cardPayments', 'apps'],
  recentActions: [
    {
      at: '2026-12-07T03:05:00.000Z',
      kind: 'switched',
      mode: 'on',
      components: ['cardPayments', 'apps'],
      reason: "autopilot: the gateway's breaker for primary open for 30 s",
      withheld: [],
      settingsVersion: 1,
      configurationVersion: 7,
    },
  ],
};

test('when the autopilot is turned on, then only the named components are opted in, the hold is in seconds, and the cap is checked', () => {
  expect(autopilotChange('on', { components: 'apps, cardPayments', hold: '45', 'max-changes-per-hour': '2' }, 'INC-21', current)).toEqual({
    mode: 'on',
    reason: 'INC-21',
    basedOnVersion: 2,
    optIn: { cardPayments: true, fasterPayments: false, apps: true, directConnect: false },
    holdMs: 45_000,
    maxChangesPerHour: 2,
  });
  // No --components: those opted in stay so. Based on the version shown: a change meanwhile refuses it.
  expect(autopilotChange('on', {}, 'INC-21', current)).toEqual({ mode: 'on', reason: 'INC-21', basedOnVersion: 2 });
  expect(autopilotChange('dry-run', { components: 'directConnect' }, 'why', current)).toMatchObject({
    mode: 'dry-run',
    optIn: { directConnect: true, apps: false },
  });
  expect(autopilotChange('off', {}, 'back to hands', current)).toEqual({ mode: 'off', reason: 'back to hands' });
});

test('when the command line is unsafe or unclear, then it is refused saying what to type', () => {
  expect(() => autopilotChange('on', {}, 'INC-21', nothingOptedIn)).toThrow('no component is opted in; say which with --components');
  expect(() => componentsOption('cards')).toThrow('"cards" is not a component; expected some of cardPayments,fasterPayments,apps,directConnect');
  expect(() => componentsOption(' , ')).toThrow('name at least one');
  expect(() => holdOption('1')).toThrow('from 2 to 3600');
  expect(() => holdOption('2.5')).toThrow('whole seconds');
  expect(holdOption('30s')).toBe(30_000);
  expect(() => autopilotChange('on', { 'max-changes-per-hour': '50' }, 'x', current)).toThrow('from 0 to 20');
  expect(() => autopilotChange('off', { components: 'apps' }, 'x', current)).toThrow('autopilot off takes only --reason');
  expect(autopilotCommand(undefined)).toBe('status');
  expect(() => autopilotCommand('enable')).toThrow('expected standin autopilot status, on, off or dry-run');
});

test("the status says the mode in capitals, what is opted in, each component's evidence now, and the last actions", () => {
  const text = renderAutopilotStatus(status);
  expect(text).toContain('autopilot: DRY-RUN: it records what it would switch on, and changes nothing');
  expect(text).toContain('set by alice at 2026-12-07T03:00:00Z (settings version 2): "INC-21 trying it"');
  expect(text).toContain('opted in: cardPayments, apps; not opted in: fasterPayments, directConnect');
  expect(text).toContain("hold 30 s; failing means 50% of primary's messages, at least 20 over the hold; at most 3 change(s) an hour");
  expect(text).toContain('it never switches anything off');
  expect(text).toContain("primary from stand-in's cloud: UNREACHABLE");
  expect(text).toContain('sent primary 40 messages since the previous sample, 40 failed; breaker OPEN; primary does NOT answer its probe');
  expect(text).toContain("stand-in's synced data: 42 s behind primary (SYNC LAG ALERTING); nothing heard from the syncer for 40 s (shown, not evidence");
  const unknownSync = { ...status.latest!, sample: { ...status.latest!.sample, sync: undefined } };
  expect(renderAutopilotStatus({ ...status, latest: unknownSync })).toContain("stand-in's synced data: unknown (the syncer has not reported yet)");
  expect(text).toMatch(/cardPayments\s+HOLDS\s+the gateway's breaker/);
  expect(text).toMatch(/directConnect\s+no\s+primary answered the gateway's probe/);
  expect(text).toContain('withheld: fasterPayments: not opted in');
  expect(text).toContain('2026-12-07T03:05:00Z  switched  cardPayments, apps  (configuration version 7)');
  expect(renderAutopilotStatus({ ...status, latest: undefined, recentActions: [] })).toContain('no sample yet');
});

describe('standin autopilot against a stand-in', () => {
  let server: Server;
  let url = '';
  const puts: unknown[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        if (request.headers.authorization !== 'Bearer night-token') return void response.writeHead(401).end('{"error":{"code":"X","message":"no"}}');
        if (request.method === 'PUT') puts.push(JSON.parse(body));
        // The CLI reads stand-in's configuration for the confirmation of `autopilot on`.
        const answer = request.url === '/configuration' ? INITIAL_CONFIGURATION : status;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      env: { STANDIN_URL: url, STANDIN_OPERATOR_TOKEN: 'night-token', PRIMARY_URL: 'http://127.0.0.1:9' },
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      interactive: false,
      now: () => new Date('2026-12-07T03:10:00Z'),
      sleep: async () => undefined,
    };
    return { code: await runCli(argv, io), out: out.join('\n'), err: err.join('\n') };
  };

  test('when asked for the status, then it prints it; --json prints the document', async () => {
    expect(await run('autopilot', 'status')).toMatchObject({ code: 0, out: expect.stringContaining('autopilot: DRY-RUN') });
    const json = await run('autopilot', 'status', '--json');
    expect(JSON.parse(json.out)).toEqual(status);
  });

  test('when turned on without a reason, then nothing is sent; with one, the change is sent and the new status printed', async () => {
    const refused = await run('autopilot', 'on', '--components', 'apps');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--reason');
    expect(puts).toHaveLength(0);
    // Arming it may move every user by itself: without a terminal it needs --yes.
    const unconfirmed = await run('autopilot', 'on', '--components', 'apps,cardPayments', '--hold', '20', '--reason', 'INC-21 nights');
    expect(unconfirmed.code).toBe(3);
    expect(unconfirmed.err).toMatch(/EVERY user's cardPayments, apps to stand-in after 20 s/);
    expect(puts).toHaveLength(0);
    const done = await run('autopilot', 'on', '--components', 'apps,cardPayments', '--hold', '20', '--reason', 'INC-21 nights', '--yes');
    expect(done.code).toBe(0);
    expect(puts).toEqual([
      {
        mode: 'on',
        reason: 'INC-21 nights',
        basedOnVersion: 2,
        optIn: { cardPayments: true, fasterPayments: false, apps: true, directConnect: false },
        holdMs: 20_000,
      },
    ]);
    expect(done.out).toContain('autopilot settings version 2 recorded by alice');
  });
});
