import { authorisation, clearing, configuration, fasterPayment, TEST_PAN } from './scheme-fixtures';
import { eventually, freePort, startTestGateway, startTestPlatform, type TestGateway, type TestPlatform } from './test-platforms';

// The gateway over real sockets, with small HTTP servers in the platforms' places.

const AUTHORISATIONS = '/scheme/card/authorisations';
const CLEARINGS = '/scheme/card/clearings';
const FPS = '/scheme/faster-payments/inbound';
const CARD_DEADLINE_MS = 400;
// The gateway waits for a platform for the deadline less an eighth (message-dispatch.ts) and says
// so in its answer: which timer fired is asserted from that, never from a stopwatch, so a busy
// machine cannot fail these tests.
const CARD_WAIT_MS = 350;
const FPS_DEADLINE_MS = 700;
const FPS_WAIT_MS = 613;

let primary: TestPlatform | undefined;
let standin: TestPlatform;
let gateway: TestGateway | undefined;

beforeEach(async () => {
  standin = await startTestPlatform('standin');
  standin.serveConfiguration(configuration(1, false));
});

afterEach(async () => {
  await gateway?.stop();
  await primary?.stop();
  await standin.stop();
  gateway = undefined;
  primary = undefined;
});

const env = (primaryUrl: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PRIMARY_URL: primaryUrl,
  STANDIN_URL: standin.url,
  GATEWAY_TOKEN: 'gateway-test-token',
  GATEWAY_CARD_DEADLINE_MS: String(CARD_DEADLINE_MS),
  ...extra,
});

const switches = (logs: Record<string, unknown>[]) => logs.filter((line) => line.event === 'destination_switch');

describe('normally', () => {
  test("a message reaches primary byte for byte at the same path, and primary's status and body come back unchanged", async () => {
    primary = await startTestPlatform('primary');
    primary.answerWith(() => ({ status: 200, body: '{ "responseCode":"00",  "decidedBy":"primary", "note":"as is" }' }));
    gateway = await startTestGateway(env(primary.url));
    // Unusual spacing and key order: a re-serialised body would differ.
    const sent = JSON.stringify(authorisation(), null, 3).replace('"mti"', '"mti"  ');

    const answer = await gateway.post(AUTHORISATIONS, sent);

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('{ "responseCode":"00",  "decidedBy":"primary", "note":"as is" }');
    expect(answer.destination).toBe('primary');
    expect(primary.schemeMessages()).toHaveLength(1);
    expect(primary.schemeMessages()[0]!.path).toBe(AUTHORISATIONS);
    expect(primary.schemeMessages()[0]!.body.toString('utf8')).toBe(sent);
    // Presented as the gateway, with its own credential: the network's never travels on.
    expect(primary.schemeMessages()[0]!.authorization).toBe('Bearer gateway-test-token');
    expect(standin.schemeMessages()).toEqual([]);
  });

  test("a message without the network's credential is refused (401) and never forwarded", async () => {
    primary = await startTestPlatform('primary');
    gateway = await startTestGateway(env(primary.url));
    for (const authorization of [undefined, 'Bearer gateway-test-token', 'Bearer not-the-network']) {
      const response = await fetch(`${gateway.url}${AUTHORISATIONS}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(authorisation()),
      });
      expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([401, 'GATEWAY_UNAUTHENTICATED']);
    }
    expect(primary.schemeMessages()).toEqual([]);
  });

  test("primary's 4xx and 5xx answers are passed on with their status and body", async () => {
    primary = await startTestPlatform('primary');
    primary.answerWith((request) =>
      request.path === FPS
        ? { status: 503, body: '{"error":{"code":"PRIMARY_DEPENDENCY_UNAVAILABLE","message":"try later"}}' }
        : { status: 422, body: '{"error":{"code":"X","message":"no"}}' },
    );
    gateway = await startTestGateway(env(primary.url));

    const fps = await gateway.post(FPS, JSON.stringify(fasterPayment()));
    const card = await gateway.post(CLEARINGS, JSON.stringify(clearing()));

    expect([fps.status, fps.body]).toEqual([503, '{"error":{"code":"PRIMARY_DEPENDENCY_UNAVAILABLE","message":"try later"}}']);
    expect([card.status, card.body]).toEqual([422, '{"error":{"code":"X","message":"no"}}']);
  });

  test("primary's 503 with Retry-After (present again later) reaches the network with its Retry-After, and is not held against primary's health", async () => {
    primary = await startTestPlatform('primary');
    primary.answerWith(() => ({
      status: 503,
      retryAfter: '60',
      body: '{"error":{"code":"PRIMARY_CLEARING_AWAITING_AUTHORISATION","message":"present the clearing again later"}}',
    }));
    gateway = await startTestGateway(env(primary.url, { GATEWAY_AUTO_FAILOVER: 'on', GATEWAY_BREAKER_RESET_MS: '60000' }));

    const answers = [];
    for (let index = 0; index < 12; index++) answers.push(await gateway.post(CLEARINGS, JSON.stringify(clearing())));

    expect(answers.map((answer) => [answer.status, answer.retryAfter, answer.destination])).toEqual(Array.from({ length: 12 }, () => [503, '60', 'primary']));
    expect(await gateway.routing()).toMatchObject({ destination: 'primary', primaryBreaker: 'closed' });
    expect(primary.schemeMessages()).toHaveLength(12);
  });

  test('GET /routing names the destination, the reason, the failover setting and the configuration version read from stand-in', async () => {
    primary = await startTestPlatform('primary');
    gateway = await startTestGateway(env(primary.url));
    const routing = await gateway.routing();
    expect(routing).toMatchObject({
      destination: 'primary',
      cause: 'normal',
      autoFailover: false,
      primaryBreaker: 'closed',
      configuration: { version: 1, directConnect: false, reachable: true, versionSeenAt: expect.any(String), readAt: expect.any(String) },
    });
    expect(routing.reason).toContain('configuration version 1');
    expect(standin.received.find((request) => request.path === '/configuration')?.authorization).toBe('Bearer gateway-test-token');
  });
});

describe('when primary does not answer in time', () => {
  test('then the network gets 504 GATEWAY_NO_ANSWER with response code 91 inside the deadline, and the message is not retried at stand-in even with failover on', async () => {
    primary = await startTestPlatform('primary');
    primary.answerWith(() => 'hang');
    gateway = await startTestGateway(env(primary.url, { GATEWAY_AUTO_FAILOVER: 'on' }));

    const answer = await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));

    expect(answer.status).toBe(504);
    expect(answer.json).toEqual({
      error: {
        code: 'GATEWAY_NO_ANSWER',
        message: expect.stringMatching(
          new RegExp(`^primary did not answer within ${CARD_WAIT_MS} ms \\(card deadline ${CARD_DEADLINE_MS} ms\\); not retried at stand-in`),
        ),
      },
      responseCode: '91',
    });
    expect(primary.schemeMessages()).toHaveLength(1);
    expect(standin.schemeMessages()).toEqual([]);
    expect(JSON.stringify(gateway.logs)).not.toContain(TEST_PAN);
  });

  test('then a Faster Payments message runs against its own deadline', async () => {
    primary = await startTestPlatform('primary');
    primary.answerWith(() => 'hang');
    gateway = await startTestGateway(env(primary.url, { GATEWAY_FPS_DEADLINE_MS: String(FPS_DEADLINE_MS) }));
    const answer = await gateway.post(FPS, JSON.stringify(fasterPayment()));
    expect(answer.status).toBe(504);
    // Its own wait, not the card one.
    expect(answer.json).toMatchObject({
      error: { message: expect.stringContaining(`primary did not answer within ${FPS_WAIT_MS} ms (Faster Payments deadline ${FPS_DEADLINE_MS} ms)`) },
    });
  });
});

describe('when primary refuses connections', () => {
  test('with failover off, then the network gets 504 at once, saying primary could not be reached and failover is off', async () => {
    gateway = await startTestGateway(env(`http://127.0.0.1:${await freePort()}`));
    const answer = await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    expect(answer.status).toBe(504);
    // Answered on the refusal itself, not when a timer ran out.
    expect(answer.json).toMatchObject({
      error: { code: 'GATEWAY_NO_ANSWER', message: expect.stringMatching(/^primary could not be reached \(ECONNREFUSED\).*automatic failover is off/) },
      responseCode: '91',
    });
    expect(standin.schemeMessages()).toEqual([]);
  });

  test('with failover on, then each message primary never received is decided by stand-in; after enough failures the breaker opens, the switch is logged once and counted, and a clearing is deferred', async () => {
    gateway = await startTestGateway(env(`http://127.0.0.1:${await freePort()}`, { GATEWAY_AUTO_FAILOVER: 'on', GATEWAY_BREAKER_RESET_MS: '60000' }));

    const answers = [];
    for (let index = 0; index < 8; index++)
      answers.push(await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation({ stan: String(index).padStart(6, '0') }))));

    expect(answers.map((answer) => [answer.status, answer.json.decidedBy])).toEqual(Array.from({ length: 8 }, () => [200, 'standin']));
    expect(standin.schemeMessages()).toHaveLength(8);
    expect(await gateway.routing()).toMatchObject({ destination: 'standin', cause: 'auto_failover', primaryBreaker: 'open', autoFailover: true });
    expect(switches(gateway.logs)).toEqual([
      expect.objectContaining({
        level: 40,
        from: 'primary',
        to: 'standin',
        cause: 'auto_failover',
        reason: expect.stringContaining("primary's circuit breaker is open"),
      }),
    ]);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('gateway_destination_switches_total{from="primary",to="standin",cause="auto_failover"} 1');
    expect(metrics).toMatch(/gateway_failovers_total\{message="card_authorisation"\} [1-8]\n/);

    const deferred = await gateway.post(CLEARINGS, JSON.stringify(clearing()));
    expect(deferred.status).toBe(503);
    expect(deferred.json).toMatchObject({
      error: { code: 'GATEWAY_CLEARING_DEFERRED', message: expect.stringContaining('present this clearing again later') },
    });
    expect(standin.schemeMessages().filter((request) => request.path === CLEARINGS)).toEqual([]);
  });

  test('with failover on, when primary comes back, then the health probe closes the breaker and traffic returns to primary, logged as a switch', async () => {
    const port = await freePort();
    gateway = await startTestGateway(env(`http://127.0.0.1:${port}`, { GATEWAY_AUTO_FAILOVER: 'on', GATEWAY_BREAKER_RESET_MS: '300' }));
    for (let index = 0; index < 6; index++) await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    expect((await gateway.routing()).destination).toBe('standin');

    primary = await startTestPlatform('primary', port);
    await eventually(
      'traffic to return to primary',
      () => gateway!.routing(),
      (routing) => routing.destination === 'primary',
      5_000,
    );

    const answer = await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    expect([answer.status, answer.json.decidedBy]).toEqual([200, 'primary']);
    // Recovery was tested with /health, never with a payment.
    expect(primary.received[0]).toMatchObject({ method: 'GET', path: '/health' });
    expect(switches(gateway.logs).map((line) => [line.from, line.to, line.cause])).toEqual([
      ['primary', 'standin', 'auto_failover'],
      ['standin', 'primary', 'primary_recovered'],
    ]);
  });
});

describe('direct connect', () => {
  test("when stand-in's configuration turns it on, then payments go to stand-in, clearings are deferred, and primary sees nothing", async () => {
    primary = await startTestPlatform('primary');
    standin.serveConfiguration(configuration(2, true));
    gateway = await startTestGateway(env(primary.url));

    const payment = await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    const credit = await gateway.post(FPS, JSON.stringify(fasterPayment()));
    const deferred = await gateway.post(CLEARINGS, JSON.stringify(clearing()));

    expect([payment.status, payment.json.decidedBy, payment.destination]).toEqual([200, 'standin', 'standin']);
    expect([credit.status, credit.json.decidedBy]).toEqual([200, 'standin']);
    expect(deferred.status).toBe(503);
    expect(deferred.json).toEqual({ error: { code: 'GATEWAY_CLEARING_DEFERRED', message: expect.stringContaining('direct connect is on') } });
    expect(primary.schemeMessages()).toEqual([]);
    expect(switches(gateway.logs)).toEqual([
      expect.objectContaining({ from: 'primary', to: 'standin', cause: 'direct_connect_on', reason: expect.stringContaining('version 2') }),
    ]);
  });

  test("when stand-in's configuration cannot be read, then the last document stays in force and the outage is logged once", async () => {
    primary = await startTestPlatform('primary');
    standin.serveConfiguration(configuration(2, true));
    gateway = await startTestGateway(env(primary.url));
    standin.serveConfiguration('fail');
    const reads = standin.received.filter((request) => request.path === '/configuration').length;
    await eventually(
      'several failed reads',
      () => standin.received.filter((request) => request.path === '/configuration').length,
      (count) => count >= reads + 4,
    );

    const payment = await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));

    expect(payment.json.decidedBy).toBe('standin');
    expect(await gateway.routing()).toMatchObject({
      destination: 'standin',
      configuration: { version: 2, directConnect: true, reachable: false, problem: expect.stringContaining('HTTP 500') },
    });
    expect(gateway.logs.filter((line) => line.event === 'configuration_unreadable')).toHaveLength(1);
  });

  test('when stand-in itself is then down, then the network gets 504 naming stand-in, and the message is not sent to primary', async () => {
    primary = await startTestPlatform('primary');
    standin.serveConfiguration(configuration(2, true));
    gateway = await startTestGateway(env(primary.url));
    await standin.stop();

    const answer = await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));

    expect(answer.status).toBe(504);
    expect(answer.json).toEqual({
      error: { code: 'GATEWAY_NO_ANSWER', message: expect.stringMatching(/^stand-in could not be reached \(ECONNREFUSED\)/) },
      responseCode: '91',
    });
    expect(primary.schemeMessages()).toEqual([]);
    standin = await startTestPlatform('standin');
  });

  test('when it is turned off again, then traffic returns to primary and the switch is logged with its cause', async () => {
    primary = await startTestPlatform('primary');
    standin.serveConfiguration(configuration(2, true));
    gateway = await startTestGateway(env(primary.url));
    standin.serveConfiguration(configuration(3, false));
    await eventually(
      'traffic to return to primary',
      () => gateway!.routing(),
      (routing) => routing.destination === 'primary',
    );

    expect((await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()))).json.decidedBy).toBe('primary');
    expect(switches(gateway.logs).map((line) => line.cause)).toEqual(['direct_connect_on', 'direct_connect_off']);
  });

  test("when stand-in's configuration was never read, then traffic goes to primary", async () => {
    primary = await startTestPlatform('primary');
    await standin.stop();
    standin = await startTestPlatform('standin');
    gateway = await startTestGateway(env(primary.url));
    expect(await gateway.routing()).toMatchObject({
      destination: 'primary',
      cause: 'configuration_never_read',
      configuration: { version: null, reachable: false },
    });
    expect((await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()))).json.decidedBy).toBe('primary');
  });
});
