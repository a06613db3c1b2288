import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import pino from 'pino';
import type { CardAuthorisationRequest, CardAuthorisationResponse } from '@bank/shared-contracts';
import { fixedClock } from '../src/platform/clock';
import { createMetrics } from '../src/platform/metrics';
import { shadowBucket, shadowSampled } from '../src/shadow/shadow-sampling';
import { startShadowSender, type ShadowSender } from '../src/shadow/shadow-sender';
import { authorisation, messageKey } from './harness';

// The sampling rule and the sender on its own, against a small real HTTP server in stand-in's
// place: what a failing stand-in costs primary, counted.

const key = fc.record({ stan: fc.stringMatching(/^\d{6}$/), rrn: fc.stringMatching(/^[0-9A-Z]{12}$/), terminalId: fc.stringMatching(/^[0-9A-Z]{8}$/) });

describe('shadow sampling', () => {
  test('property: a message is sampled exactly when its bucket is below the percentage, the same way every time', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 0, max: 100 }), (message, percent) => {
        expect(shadowSampled(percent, message)).toBe(shadowBucket(message) < percent);
        expect(shadowSampled(percent, { ...message })).toBe(shadowSampled(percent, message));
      }),
    );
  });

  test('0 % samples nothing and 100 % everything', () => {
    fc.assert(fc.property(key, (message) => !shadowSampled(0, message) && shadowSampled(100, message)));
  });

  test('the sample is about the share asked for', () => {
    const keys = Array.from({ length: 10_000 }, () => messageKey());
    const sampled = keys.filter((message) => shadowSampled(10, message)).length;
    expect(sampled).toBeGreaterThan(800);
    expect(sampled).toBeLessThan(1_200);
  });
});

async function startServer(handle: (response: http.ServerResponse) => void) {
  let received = 0;
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      handle(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const card = { pan: '4598760000000019', expiry: '2911' };
const answerTo = (request: CardAuthorisationRequest): CardAuthorisationResponse => ({
  mti: '0110',
  stan: request.stan,
  rrn: request.rrn,
  terminalId: request.terminalId,
  responseCode: '51',
  approvedAmountMinor: 0,
  decidedBy: 'primary',
});

async function drained(sender: ShadowSender) {
  const deadline = Date.now() + 10_000;
  while (sender.pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(sender.pending()).toBe(0);
}

describe('shadow sender', () => {
  test('when stand-in fails every call, then the breaker opens after a few and the rest cost neither a call nor an account lookup', async () => {
    const standin = await startServer((response) => response.writeHead(500).end());
    const metrics = createMetrics();
    let lookups = 0;
    const sender = startShadowSender({
      standinUrl: standin.url,
      primaryCredential: 't',
      accountOf: async () => (lookups++, { accountId: '00000000-0000-4000-8000-000000000001', accountSequence: 3 }),
      clock: fixedClock('2026-11-21T12:00:00Z'),
      logger: pino({ level: 'silent' }),
      metrics,
      options: { queueSize: 100, concurrency: 1, timeoutMs: 500, resetTimeoutMs: 60_000 },
    });
    try {
      for (let i = 0; i < 50; i++) {
        const request = authorisation(card, 100);
        expect(sender.offer(request, answerTo(request))).toBe(true);
      }
      await drained(sender);
      expect(standin.received()).toBeLessThanOrEqual(5);
      expect(lookups).toBe(standin.received());
      expect((await metrics.shadowMessages.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'failed' }, value: 50 })]);
    } finally {
      await sender.stop();
      await standin.close();
    }
  });

  test('when the queue is full, then offers are refused at once and counted as dropped; stop does not wait for the queue', async () => {
    const standin = await startServer(() => undefined); // never answers
    const metrics = createMetrics();
    const sender = startShadowSender({
      standinUrl: standin.url,
      primaryCredential: 't',
      accountOf: async () => undefined,
      clock: fixedClock('2026-11-21T12:00:00Z'),
      logger: pino({ level: 'silent' }),
      metrics,
      options: { queueSize: 2, concurrency: 1, timeoutMs: 300, resetTimeoutMs: 60_000 },
    });
    try {
      const offered = Array.from({ length: 10 }, () => {
        const request = authorisation(card, 100);
        return sender.offer(request, answerTo(request));
      });
      // The first is taken off the queue at once, two wait, the rest are dropped.
      expect(offered.filter(Boolean)).toHaveLength(3);
      expect((await metrics.shadowMessages.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'dropped' }, value: 7 })]);
      expect((await metrics.shadowQueueDepth.get()).values[0]?.value).toBe(2);
    } finally {
      await sender.stop();
      await standin.close();
    }
    expect(sender.pending()).toBe(0);
  });
});
