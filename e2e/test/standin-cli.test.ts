import type { ConfigurationDocument } from '@bank/shared-contracts';
import { OPERATOR } from '../src/stack/services';
import { standinCli } from './support/standin-cli';
import { eventually, http, startStack, type Stack } from './support/stack';

// The `standin` CLI as an incident engineer runs it, against real running platforms: both up,
// primary killed, stand-in killed, and each coming back.

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 180_000);
afterAll(() => stack?.stop());

const standin = (...args: string[]) => standinCli({ primary: stack.primary.url, standin: stack.standin.url }, ...args);

const configurationOf = async (url: string) => (await http<ConfigurationDocument>('GET', `${url}/configuration`, { token: OPERATOR.token })).body;
const both = async () => ({ primary: await configurationOf(stack.primary.url), standin: await configurationOf(stack.standin.url) });
const statusFor = async (url: string, user: string) =>
  (await http<{ talkTo: string; experience: string; configurationVersion: number }>('GET', `${url}/status?user=${user}`)).body;

test('when an engineer routes card spending for two users, then both platforms hold the same new version, and status shows it', async () => {
  const before = await both();
  expect(before.primary).toEqual(before.standin);

  const routed = await standin(
    'route-payments',
    '--users',
    'cust-1,cust-2',
    '--scheme',
    'card',
    '--direction',
    'outbound',
    '--reason',
    'INC-7 card processor degraded',
  );
  expect(routed).toMatchObject({ code: 0 });
  expect(routed.stdout).toContain(`version ${before.standin.version} -> ${before.standin.version + 1}`);
  expect(routed.stdout).toContain('card spending (out)');

  const after = await both();
  expect(after.primary).toEqual(after.standin);
  expect(after.standin).toMatchObject({
    version: before.standin.version + 1,
    updatedBy: OPERATOR.name,
    reason: 'INC-7 card processor degraded',
    components: {
      cardPaymentsOutbound: { mode: 'users', userIds: ['cust-1', 'cust-2'] },
      cardPaymentsInbound: { mode: 'nobody' },
      fasterPaymentsOutbound: { mode: 'nobody' },
    },
  });

  const status = await standin('status', '--json');
  expect(status.code).toBe(0);
  const report = JSON.parse(status.stdout) as {
    agree: boolean;
    platforms: Record<string, { reachable: boolean; configuration: ConfigurationDocument; status?: { sync?: unknown; adviceBacklog?: number } }>;
  };
  expect(report.agree).toBe(true);
  expect(report.platforms.standin).toMatchObject({ reachable: true, configuration: { version: after.standin.version } });
  expect(report.platforms.primary).toMatchObject({ reachable: true, configuration: { version: after.standin.version } });
  expect(report.platforms.standin?.status?.adviceBacklog).toBe(0);
  // Primary says what timeout reversals it owes stand-in (stand-in owes none of its own).
  expect(report.platforms.primary).toMatchObject({ timeoutReversals: { owed: 0, flagged: 0 } });

  const human = await standin('status');
  expect(human.stdout).toMatch(/OK: both platforms agree/);
  expect(human.stdout).toMatch(/card spending \(out\)\s+2 users \(cust-1, cust-2\)/);
  expect(human.stdout).toMatch(/timeout reversals owed\s+-\s+0\n/);
});

test('when a change would touch every user and --yes is missing, then it is refused and nothing changes; with --yes it lands on both', async () => {
  const before = await both();
  const refused = await standin('redirect-apps', '--all', '--reason', 'INC-8 app backend down');
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('--yes');
  expect(await both()).toEqual(before);

  const accepted = await standin('redirect-apps', '--all', '--reason', 'INC-8 app backend down', '--yes', '--json');
  expect(accepted.code).toBe(0);
  expect(JSON.parse(accepted.stdout)).toMatchObject({
    changed: true,
    after: { version: before.standin.version + 1, components: { app: { mode: 'everyone' } } },
  });
  for (const url of [stack.primary.url, stack.standin.url])
    expect(await statusFor(url, 'any-user-at-all')).toMatchObject({ talkTo: 'standin', experience: 'standin' });
});

test('when apps are rolled back gradually, then users move back in steps until nobody is on stand-in, and both platforms then answer every user alike', async () => {
  const rolled = await standin('rollback-apps', '--step', '50', '--interval', '300ms', '--reason', 'INC-8 resolved', '--yes', '--json');
  expect(rolled.code).toBe(0);
  const { steps } = JSON.parse(rolled.stdout) as { steps: { after: ConfigurationDocument }[] };
  expect(steps.map((step) => step.after.components.app)).toEqual([{ mode: 'percent', percent: 50 }, { mode: 'nobody' }]);
  const after = await both();
  expect(after.primary).toEqual(after.standin);
  for (const user of ['u-a', 'u-b', 'u-c']) {
    const answers = [await statusFor(stack.primary.url, user), await statusFor(stack.standin.url, user)].map(
      ({ talkTo, experience, configurationVersion }) => ({ talkTo, experience, configurationVersion }),
    );
    expect(answers).toEqual([
      { talkTo: 'primary', experience: 'full', configurationVersion: after.standin.version },
      { talkTo: 'primary', experience: 'full', configurationVersion: after.standin.version },
    ]);
  }
});

test('when a customer token is used for a configuration change, then both platforms refuse it and nothing changes', async () => {
  const customer = (
    await http<{ token: string }>('POST', `${stack.primary.url}/accounts`, { body: { holderName: 'Curious Customer', overdraftLimitMinor: 0 } })
  ).body;
  const before = await both();
  const run = await standin('prescale', 'on', '--reason', 'trying my luck', '--token', customer.token);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('operator token');
  for (const url of [stack.primary.url, stack.standin.url]) {
    const answer = await http<{ error: { code: string } }>('POST', `${url}/configuration/changes`, {
      token: customer.token,
      body: { basedOnVersion: before.standin.version, reason: 'nope', prescale: true },
    });
    // 403 where the customer is known (primary; stand-in once the syncer brought the token), else 401.
    expect([401, 403]).toContain(answer.status);
    expect(['PRIMARY_FORBIDDEN', 'STANDIN_FORBIDDEN', 'STANDIN_UNAUTHENTICATED']).toContain(answer.body.error.code);
  }
  expect(await both()).toEqual(before);
});

test('when one platform is behind, then the CLI brings it up to date before changing anything', async () => {
  const before = await both();
  // A change that reached stand-in only, as if primary had missed it.
  await http('POST', `${stack.standin.url}/configuration/changes`, {
    token: OPERATOR.token,
    body: { basedOnVersion: before.standin.version, reason: 'made on stand-in alone', prescale: true },
  });
  const run = await standin('route-payments', '--percent', '10', '--scheme', 'fps', '--reason', 'INC-9 FPS gateway flaky', '--json');
  expect(run.code).toBe(0);
  const after = await both();
  expect(after.primary).toEqual(after.standin);
  expect(after.standin).toMatchObject({
    prescale: true,
    components: { fasterPaymentsInbound: { mode: 'percent', percent: 10 }, fasterPaymentsOutbound: { mode: 'percent', percent: 10 } },
  });
});

test('when primary is killed, then the CLI works against stand-in alone and says so; when primary is back it converges on the newer version', async () => {
  await stack.primary.kill();
  const status = await standin('status');
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('PRIMARY IS UNREACHABLE');

  const direct = await standin('direct-connect', 'on', '--reason', 'INC-10 primary down', '--yes');
  expect(direct.code).toBe(0);
  expect(direct.stdout).toContain('PRIMARY IS UNREACHABLE');
  const standinNow = await configurationOf(stack.standin.url);
  expect(standinNow).toMatchObject({ directConnect: true, reason: 'INC-10 primary down' });

  const disabled = await standin('disable', 'payments', '--reason', 'INC-10 payments back to primary later', '--json');
  expect(disabled.code).toBe(0);
  const after = (JSON.parse(disabled.stdout) as { after: ConfigurationDocument }).after;
  const nobody = { mode: 'nobody' };
  expect(after.components).toMatchObject({
    cardPaymentsInbound: nobody,
    cardPaymentsOutbound: nobody,
    fasterPaymentsInbound: nobody,
    fasterPaymentsOutbound: nobody,
  });

  await stack.primary.restart();
  await eventually(
    "primary to take stand-in's newer configuration",
    () => configurationOf(stack.primary.url),
    (document) => document.version === after.version,
    30_000,
  );
  const converged = await both();
  expect(converged.primary).toEqual(converged.standin);
});

test('when stand-in is killed, then changes go to primary alone; when stand-in is back it converges, and the audit log tells the story', async () => {
  await stack.standin.kill();
  const run = await standin('direct-connect', 'off', '--reason', 'INC-10 primary recovered', '--yes');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/stand-in\s+UNREACHABLE/);
  const primaryNow = await configurationOf(stack.primary.url);
  expect(primaryNow.directConnect).toBe(false);

  await stack.standin.restart();
  await eventually(
    "stand-in to take primary's newer configuration",
    () => configurationOf(stack.standin.url),
    (document) => document.version === primaryNow.version,
    30_000,
  );
  expect(await configurationOf(stack.standin.url)).toEqual(primaryNow);

  const audit = await standin('audit', '--limit', '3');
  expect(audit.code).toBe(0);
  expect(audit.stdout.split('\n')[0]).toContain(`version ${primaryNow.version}`);
  expect(audit.stdout).toContain('INC-10 primary recovered');
});

test('when the command line is wrong, then the engineer is told what to type and nothing changes', async () => {
  const before = await both();
  expect(await standin('route-payments', '--users', 'a', '--percent', '5', '--reason', 'x')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('exactly one of --all'),
  });
  expect(await standin('redirect-apps', '--users', 'a')).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason') });
  expect(await standin('route-payments', '--all', '--scheme', 'bacs', '--reason', 'x', '--yes')).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('card or fps'),
  });
  expect(await standin('launch-rockets')).toMatchObject({ code: 2 });
  expect(await both()).toEqual(before);
});
