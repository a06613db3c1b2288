import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { GatewayPrimaryView } from '@bank/shared-contracts';
import { startPrimaryView } from '../src/primary-view';
import { authorisation, configuration } from './scheme-fixtures';
import { eventually, startTestGateway, startTestPlatform, TEST_NETWORK_TOKEN } from './test-platforms';

// What the gateway tells stand-in's autopilot about primary (GET /primary-view): the messages it
// sent primary and how they ended, its breaker, and whether primary answers a probe at all.

const STANDIN_TOKEN = 'gateway-test-standin-token';
const AUTHORISATIONS = '/scheme/card/authorisations';

test('when messages to primary end each way, then the view counts each, only what was sent, with the breaker; only stand-in may read it', async () => {
  const standin = await startTestPlatform('standin');
  standin.serveConfiguration(configuration(1, false));
  const primary = await startTestPlatform('primary');
  const gateway = await startTestGateway({
    PRIMARY_URL: primary.url,
    STANDIN_URL: standin.url,
    GATEWAY_TOKEN: 'gateway-test-token',
    STANDIN_TOKEN,
    GATEWAY_CARD_DEADLINE_MS: '400',
  });
  const view = async (token = STANDIN_TOKEN) => {
    const response = await fetch(`${gateway.url}/primary-view`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  try {
    expect((await view(TEST_NETWORK_TOKEN)).status).toBe(403);
    expect((await view('a-stranger')).status).toBe(401);
    const before = GatewayPrimaryView.parse((await view()).body);
    expect(before.toPrimary).toEqual({ total: 0, timedOut: 0, connectionFailed: 0, serverErrors: 0, issuerUnavailable: 0 });

    for (const reply of [
      { status: 200, body: '{"responseCode":"00","authorisationCode":"A1"}' },
      { status: 200, body: '{"responseCode":"91"}' },
      { status: 500, body: '{"error":{"code":"PRIMARY_INTERNAL","message":"broken"}}' },
      'hang' as const,
    ]) {
      primary.answerWith(() => reply);
      await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    }
    // Primary gone: its port refuses the connection.
    await primary.stop();
    await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    const after = GatewayPrimaryView.parse((await view()).body);
    expect(after.startedAt).toBe(before.startedAt);
    expect(after.toPrimary).toEqual({ total: 5, timedOut: 1, connectionFailed: 1, serverErrors: 1, issuerUnavailable: 1 });
    // Three failures in five: the breaker opens, and what it refuses was never sent to primary.
    expect(after.primaryBreakerOpen).toBe(true);
    await gateway.post(AUTHORISATIONS, JSON.stringify(authorisation()));
    expect(GatewayPrimaryView.parse((await view()).body).toPrimary.total).toBe(5);
  } finally {
    await gateway.stop();
    await standin.stop();
  }
});

test("when primary answers its probe slowly or with an error, then it answers; only when it does not answer in the probe's time does it not", async () => {
  let mode: 'ok' | 'slow-error' | 'proxy-error' | 'hang' = 'ok';
  const primary = http.createServer((_request, response) => {
    if (mode === 'ok') return void response.end('{"status":"live"}');
    if (mode === 'slow-error') return void setTimeout(() => response.writeHead(500).end(), 100);
    // A load balancer or proxy in front of a dead primary: not primary answering (found in review).
    if (mode === 'proxy-error') return void response.writeHead(502).end();
    // hang: never answers
  });
  await new Promise<void>((resolve) => primary.listen(0, '127.0.0.1', resolve));
  const view = startPrimaryView({
    primaryUrl: `http://127.0.0.1:${(primary.address() as AddressInfo).port}`,
    breakerOpen: () => false,
    logger: pino({ level: 'silent' }),
    probeIntervalMs: 20,
    probeTimeoutMs: 300,
  });
  try {
    const answered = await eventually(
      'an answered probe',
      () => view.snapshot().probe,
      (probe) => probe.answeredTotal > 0,
    );
    expect(answered.answered).toBe(true);
    mode = 'slow-error';
    const slow = view.snapshot().probe.answeredTotal;
    await eventually(
      'slow answers counted as answers',
      () => view.snapshot().probe,
      (probe) => probe.answeredTotal >= slow + 3,
    );
    expect(view.snapshot().probe.answered).toBe(true);
    mode = 'proxy-error';
    const proxied = view.snapshot().probe.unansweredTotal;
    await eventually(
      "a proxy's 502 counted as no answer",
      () => view.snapshot().probe,
      (probe) => probe.unansweredTotal > proxied && !probe.answered,
    );
    mode = 'ok';
    await eventually(
      'answering again',
      () => view.snapshot().probe,
      (probe) => probe.answered,
    );
    mode = 'hang';
    const unansweredBefore = view.snapshot().probe.unansweredTotal;
    const hung = await eventually(
      'an unanswered probe',
      () => view.snapshot().probe,
      (probe) => probe.unansweredTotal > unansweredBefore,
    );
    expect(hung.answered).toBe(false);
    expect(hung.timeoutMs).toBe(300);
    mode = 'ok';
    await eventually(
      'answering again',
      () => view.snapshot().probe,
      (probe) => probe.answered,
    );
  } finally {
    await view.stop();
    primary.closeAllConnections();
    await new Promise((resolve) => primary.close(resolve));
  }
});
