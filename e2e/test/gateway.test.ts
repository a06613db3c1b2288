import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { gatewayService } from '../src/stack/gateway-service';
import { startService, type ServiceDefinition, type ServiceProcess } from '../src/stack/service-process';
import { OPERATOR } from '../src/stack/services';
import { CREDENTIALS } from '../src/stack/credentials';
import { eventually, http, startStack, type Stack } from './support/stack';

// The data-centre gateway in front of the real platforms: normally primary decides; with direct
// connect turned on in stand-in's configuration, stand-in answers even with primary dead; with
// automatic failover on, primary's breaker opening sends traffic to stand-in, and with it off the
// network gets a 504 inside its deadline.

const CARD_DEADLINE_MS = 1_500;

let stack: Stack;
let run: string;
let plainDefinition: ServiceDefinition;
let gateway: ServiceProcess;
let failoverGateway: ServiceProcess | undefined;

beforeAll(async () => {
  stack = await startStack();
  run = `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
  plainDefinition = gatewayService(
    stack.infra.config,
    run,
    { primary: stack.primary.url, standin: stack.standin.url },
    { name: 'gateway', env: { GATEWAY_AUTO_FAILOVER: 'off' } },
  );
  gateway = await startService(plainDefinition);
}, 180_000);

afterAll(async () => {
  await failoverGateway?.stop();
  await gateway?.stop();
  await stack?.stop();
}, 60_000);

interface Customer {
  id: string;
  token: string;
  card: { id: string; pan: string; expiry: string };
}

async function openCustomer(fundedMinor: number): Promise<Customer> {
  const account = (
    await http<Record<string, string>>('POST', `${stack.primary.url}/accounts`, { body: { holderName: 'Gateway Customer', overdraftLimitMinor: 0 } })
  ).body;
  const card = (
    await http<{ id: string; pan: string; expiry: string }>('POST', `${stack.primary.url}/internal/accounts/${account.id}/cards`, {
      token: CREDENTIALS['card-manufacturer'],
      body: {},
    })
  ).body;
  await http('POST', `${stack.primary.url}/scheme/faster-payments/inbound`, {
    body: {
      fpsId: `FPS-${randomUUID()}`,
      amountMinor: fundedMinor,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
      creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Gateway Customer' },
      reference: 'SALARY',
      sentAt: new Date().toISOString(),
    },
  });
  return { id: account.id!, token: account.token!, card };
}

/** Stand-in can decide for this customer: it has the card and the money. */
async function syncedToStandin(customer: Customer, fundedMinor: number): Promise<void> {
  await eventually(
    `stand-in to see ${customer.id}'s card`,
    async () =>
      (await http<{ cards: { cardId: string }[] }>('GET', `${stack.standin.url}/accounts/${customer.id}/cards`, { token: customer.token })).body.cards,
    (cards) => cards.some((card) => card.cardId === customer.card.id),
    120_000,
  );
  await eventually(
    `stand-in to see ${customer.id}'s money`,
    async () =>
      (await http<{ balance: { spendableMinor: number } }>('GET', `${stack.standin.url}/accounts/${customer.id}`, { token: customer.token })).body.balance
        .spendableMinor,
    (value) => value === fundedMinor,
    120_000,
  );
}

let stan = Math.floor(Math.random() * 900_000);
const cardPayment = (customer: Customer, amountMinor: number) => {
  stan = (stan + 1) % 1_000_000;
  return {
    mti: '0100',
    pan: customer.card.pan,
    expiry: customer.card.expiry,
    processingCode: '000000',
    amountMinor,
    currency: 'GBP',
    transmittedAt: new Date().toISOString(),
    stan: String(stan).padStart(6, '0'),
    rrn: randomBytes(6).toString('hex').toUpperCase(),
    terminalId: 'GATEWAY1',
    acquirerId: '12345678',
    merchant: { name: 'GATEWAY CAFE', categoryCode: '5814', city: 'Leeds', country: 'GB' },
    posEntryMode: 'contactless',
  };
};

// No stopwatch here: the gateway itself answers 504 GATEWAY_NO_ANSWER when its deadline passes, so
// a platform's answer arriving through it (200, decidedBy) is the proof it came in time, and a 504
// says in its message which event (a refusal, a timer) made it. A busy machine cannot fail that.
interface GatewayReply {
  status: number;
  body: { responseCode?: string; decidedBy?: string; error?: { code: string; message: string } };
}

async function throughGateway(via: ServiceProcess, path: string, message: unknown): Promise<GatewayReply> {
  // As the payment network: the gateway's scheme routes are its only.
  const answer = await http<GatewayReply['body']>('POST', `${via.url}${path}`, { body: message, token: CREDENTIALS.network });
  return { status: answer.status, body: answer.body };
}

const authorise = (via: ServiceProcess, customer: Customer, amountMinor: number) =>
  throughGateway(via, '/scheme/card/authorisations', cardPayment(customer, amountMinor));

interface Routing {
  destination: string;
  cause: string;
  reason: string;
  autoFailover: boolean;
  configuration: { version: number | null; directConnect: boolean | null; readAt: string | null };
}
const routingOf = async (via: ServiceProcess) => (await http<Routing>('GET', `${via.url}/routing`)).body;

/** A change through stand-in's configuration API, based on the version it holds now. */
async function changeStandinConfiguration(change: { reason: string; directConnect: boolean }): Promise<{ version: number; directConnect: boolean }> {
  const current = await http<{ version: number }>('GET', `${stack.standin.url}/configuration`, { token: OPERATOR.token });
  expect(current.status).toBe(200);
  const changed = await http<{ version: number; directConnect: boolean }>('POST', `${stack.standin.url}/configuration/changes`, {
    token: OPERATOR.token,
    body: { basedOnVersion: current.body.version, ...change },
  });
  expect(changed.status).toBe(200);
  return changed.body;
}

/** The gateway's JSON log lines about switches of destination. */
function switchesLogged(definition: ServiceDefinition): Record<string, unknown>[] {
  return fs
    .readFileSync(definition.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.event === 'destination_switch');
}

test('normally, a card authorisation through the gateway is decided by primary', async () => {
  const customer = await openCustomer(10_000);
  expect(await routingOf(gateway)).toMatchObject({ destination: 'primary', autoFailover: false });

  const answer = await authorise(gateway, customer, 1_000);

  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
}, 120_000);

test("when direct connect is turned on in stand-in's configuration and primary is killed, then stand-in answers through the gateway within the deadline", async () => {
  const customer = await openCustomer(10_000);
  await syncedToStandin(customer, 10_000);

  const on = await changeStandinConfiguration({ reason: 'e2e: primary is down, connect the gateway directly', directConnect: true });
  expect(on.directConnect).toBe(true);
  await eventually(
    'the gateway to send traffic to stand-in',
    () => routingOf(gateway),
    (routing) => routing.destination === 'standin' && routing.configuration.version === on.version,
    10_000,
  );
  await stack.primary.kill();
  try {
    const answer = await authorise(gateway, customer, 1_000);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });

    // Stand-in takes no clearings: the network is told to present them again later.
    const clearing = await throughGateway(gateway, '/scheme/card/clearings', {
      clearingId: `CLR-${randomBytes(6).toString('hex')}`,
      pan: customer.card.pan,
      processingCode: '000000',
      amountMinor: 1_000,
      currency: 'GBP',
      merchant: { name: 'GATEWAY CAFE', categoryCode: '5814', city: 'Leeds', country: 'GB' },
      clearedAt: new Date().toISOString(),
    });
    expect(clearing.status).toBe(503);
    expect(clearing.body.error?.code).toBe('GATEWAY_CLEARING_DEFERRED');

    expect(switchesLogged(plainDefinition)).toContainEqual(
      expect.objectContaining({
        level: 40,
        from: 'primary',
        to: 'standin',
        cause: 'direct_connect_on',
        reason: expect.stringContaining(`version ${on.version}`),
      }),
    );
  } finally {
    await stack.primary.restart();
    const off = await changeStandinConfiguration({ reason: 'e2e: primary is back', directConnect: false });
    await eventually(
      'the gateway to send traffic to primary again',
      () => routingOf(gateway),
      (routing) => routing.destination === 'primary' && routing.configuration.version === off.version,
      10_000,
    );
  }
  expect(switchesLogged(plainDefinition)).toContainEqual(expect.objectContaining({ from: 'standin', to: 'primary', cause: 'direct_connect_off' }));
}, 300_000);

test("when primary is killed, then with automatic failover on stand-in answers once primary's breaker opens (and the switch is logged), and with it off the network gets 504 inside the deadline", async () => {
  const customer = await openCustomer(10_000);
  await syncedToStandin(customer, 10_000);
  const failoverDefinition = gatewayService(
    stack.infra.config,
    run,
    { primary: stack.primary.url, standin: stack.standin.url },
    {
      name: 'gateway-failover',
      env: { GATEWAY_AUTO_FAILOVER: 'on', GATEWAY_BREAKER_RESET_MS: '2000' },
    },
  );
  failoverGateway = await startService(failoverDefinition);
  expect(await routingOf(failoverGateway)).toMatchObject({ destination: 'primary', autoFailover: true, configuration: { directConnect: false } });
  expect((await authorise(failoverGateway, customer, 100)).body).toMatchObject({ responseCode: '00', decidedBy: 'primary' });
  const startLine = fs
    .readFileSync(failoverDefinition.logFile, 'utf8')
    .split('\n')
    .find((line) => line.includes('gateway listening'));
  expect(JSON.parse(startLine!)).toMatchObject({ autoFailover: 'on' });

  await stack.primary.kill();
  try {
    // Until the breaker opens, each message primary refuses is decided by stand-in instead (primary
    // never saw it); at worst one caught mid-crash gets the 504.
    const beforeOpen: GatewayReply[] = [];
    while ((await routingOf(failoverGateway)).destination !== 'standin') {
      expect(beforeOpen.length).toBeLessThan(10);
      beforeOpen.push(await authorise(failoverGateway, customer, 100));
    }
    for (const answer of beforeOpen) {
      expect(['answered by standin', '504 GATEWAY_NO_ANSWER']).toContain(
        answer.status === 200 ? `answered by ${answer.body.decidedBy}` : `${answer.status} ${answer.body.error?.code}`,
      );
    }
    expect(await routingOf(failoverGateway)).toMatchObject({ destination: 'standin', cause: 'auto_failover' });

    for (let index = 0; index < 3; index++) {
      const answer = await authorise(failoverGateway, customer, 100);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ responseCode: '00', decidedBy: 'standin' });
    }
    expect(switchesLogged(failoverDefinition)).toEqual([
      expect.objectContaining({
        level: 40,
        from: 'primary',
        to: 'standin',
        cause: 'auto_failover',
        reason: expect.stringContaining("primary's circuit breaker is open"),
      }),
    ]);

    // The gateway without automatic failover has nowhere to send it.
    const refused = await authorise(gateway, customer, 100);
    expect(refused.status).toBe(504);
    // Refused by the dead primary (or by the breaker that remembers it), answered by the gateway itself under its card deadline, with a 91.
    expect(refused.body).toEqual({
      error: { code: 'GATEWAY_NO_ANSWER', message: expect.stringMatching(new RegExp(`^primary .*\\(card deadline ${CARD_DEADLINE_MS} ms\\)`)) },
      responseCode: '91',
    });
  } finally {
    await stack.primary.restart();
  }

  // Back: the breaker's health probe closes it, and primary decides again.
  await eventually(
    'the failover gateway to send traffic to primary again',
    () => routingOf(failoverGateway!),
    (routing) => routing.destination === 'primary',
    30_000,
  );
  expect((await authorise(failoverGateway, customer, 100)).body).toMatchObject({ decidedBy: 'primary' });
  expect(switchesLogged(failoverDefinition).map((line) => [line.from, line.to, line.cause])).toEqual([
    ['primary', 'standin', 'auto_failover'],
    ['standin', 'primary', 'primary_recovered'],
  ]);
  expect(fs.readFileSync(failoverDefinition.logFile, 'utf8')).not.toContain(customer.card.pan);
}, 300_000);
