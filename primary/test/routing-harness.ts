import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigurationDocument, FasterPaymentInboundCredit } from '@bank/shared-contracts';
import type { TimeoutReversalOptions } from '../src/routing/timeout-reversals';
import type { ShadowSenderOptions } from '../src/shadow/shadow-sender';
import { CREDENTIALS, startPrimary } from './harness';

// Primary (started by the harness, the one way) with stand-in beside it, for the routing and
// shadow tests: in a database of each primary's own (a routing configuration written to the
// shared one would move every other primary's payments). Stand-in is a small real HTTP server here
// that records what reaches it and answers as told, or not at all; the whole stack with the real
// stand-in is e2e/test/payment-routing.

export { CREDENTIALS } from './harness';
export const OPERATOR = { name: 'incident-engineer', token: 'operator-token' };
export const PROXY_TIMEOUT_MS = 300;

export interface Received {
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

/** Stand-in as primary's proxy sees it: answers with `reply`, never when `silent`, or breaks the connection when `reset`. */
export async function startFakeStandin() {
  const received: Received[] = [];
  const state = {
    silent: false,
    /** Reads the whole request, then destroys the connection without an answer. */
    reset: false,
    reply: (_request: Received): { status: number; body: unknown } => ({ status: 200, body: { from: 'standin' } }),
  };
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const seen = { url: request.url ?? '', headers: request.headers, body: text ? JSON.parse(text) : undefined };
      received.push(seen);
      if (state.silent) return;
      if (state.reset) return void request.socket.destroy();
      const { status, body } = state.reply(seen);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `shadow`: with a shadow sender with these options (the share shadowed is the configuration's). */
export async function startRoutingPrimary(
  options: { now?: string; shadow?: Partial<ShadowSenderOptions>; logs?: string[]; timeoutReversals?: Partial<TimeoutReversalOptions> } = {},
) {
  const standin = await startFakeStandin();
  const primary = await startPrimary({
    ...options,
    ownDatabase: 'routing',
    operators: [OPERATOR],
    standin: { url: standin.url, proxyTimeoutMs: PROXY_TIMEOUT_MS },
  });
  const { call } = primary;

  /** Every component set explicitly (stand-in for what is named, primary for the rest), and the cohort and shadow shares (0 unless given). */
  async function route(components: Partial<Components>, shares: { dailyCohort?: number; shadow?: number } = {}) {
    const { version } = (await call('GET', '/configuration', { token: OPERATOR.token })).body as ConfigurationDocument;
    const changed = await call('POST', '/configuration/changes', {
      token: OPERATOR.token,
      body: {
        basedOnVersion: version,
        reason: 'routing test',
        components: { ...NOBODY, ...components },
        dailyCohort: { percent: shares.dailyCohort ?? 0 },
        shadow: { percent: shares.shadow ?? 0 },
      },
    });
    if (changed.status !== 200) throw new Error(`configuration change failed: ${changed.text}`);
  }

  /** A funded customer with a card, made while everything is on primary. */
  async function customer(fundedMinor = 10_000) {
    await route({});
    const account = (await call('POST', '/accounts', { body: { holderName: 'Routed Customer' } })).body as {
      id: string;
      customerId: string;
      sortCode: string;
      accountNumber: string;
      token: string;
    };
    const funded = await call('POST', '/scheme/faster-payments/inbound', { body: credit(account, fundedMinor) });
    if (funded.body?.status !== 'accepted') throw new Error(`fund: ${funded.text}`);
    const card = (await call('POST', `/internal/accounts/${account.id}/cards`, { token: CREDENTIALS['card-manufacturer'], body: {} })).body as {
      id: string;
      pan: string;
      expiry: string;
    };
    return { ...account, card };
  }

  return {
    ...primary,
    timeoutReversals: primary.timeoutReversals!,
    standin,
    route,
    customer,
    async close() {
      await primary.close();
      await standin.close();
    },
  };
}

export type RoutingPrimary = Awaited<ReturnType<typeof startRoutingPrimary>>;
export type Customer = Awaited<ReturnType<RoutingPrimary['customer']>>;

type Components = ConfigurationDocument['components'];
export const NOBODY: Components = {
  cardPaymentsInbound: { mode: 'nobody' },
  cardPaymentsOutbound: { mode: 'nobody' },
  fasterPaymentsInbound: { mode: 'nobody' },
  fasterPaymentsOutbound: { mode: 'nobody' },
  app: { mode: 'nobody' },
};

export const credit = (account: { sortCode: string; accountNumber: string }, amountMinor: number): FasterPaymentInboundCredit => ({
  fpsId: `FPS-${randomUUID()}`,
  amountMinor,
  currency: 'GBP',
  debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer Ltd' },
  creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: 'Routed Customer' },
  reference: 'SALARY',
  sentAt: '2026-11-21T12:00:00Z',
});
