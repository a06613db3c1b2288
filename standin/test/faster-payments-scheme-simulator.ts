import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FasterPaymentOutboundSend, safeParseContract, type FasterPaymentResponse } from '@bank/shared-contracts';

/** What the simulated scheme does with a payment to a creditor account number. */
export type SchemeBehaviour = 'accept' | 'reject' | 'hang' | { readonly acceptAfterMs: number };

/**
 * The Faster Payments scheme is an outside party with no server here, so stand-in's tests talk to
 * this small real one over HTTP. Per creditor account number it accepts (the default), rejects
 * (account_closed), answers late, or hangs without answering until told otherwise. Like the real
 * scheme it answers a repeated fpsId with its first answer, and it records every message it got.
 */
export async function startSchemeSimulator() {
  const behaviours = new Map<string, SchemeBehaviour>();
  const answers = new Map<string, FasterPaymentResponse>();
  const received: FasterPaymentOutboundSend[] = [];

  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/faster-payments/payments') return void response.writeHead(404).end();
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return void response.writeHead(400).end();
      }
      const parsed = safeParseContract('outbound Faster Payment', FasterPaymentOutboundSend, json);
      if (!parsed.ok) return void response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: parsed.error.message }));
      const payment = parsed.value;
      received.push(payment);
      const answer = (value: FasterPaymentResponse) => {
        const first = answers.get(payment.fpsId) ?? value;
        answers.set(payment.fpsId, first);
        if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(first));
      };
      const earlier = answers.get(payment.fpsId);
      if (earlier) return answer(earlier);
      const behaviour = behaviours.get(payment.creditor.accountNumber) ?? 'accept';
      if (behaviour === 'hang') return;
      if (behaviour === 'reject')
        return answer({ fpsId: payment.fpsId, status: 'rejected', rejectReason: 'account_closed', message: 'beneficiary account closed' });
      if (behaviour === 'accept') return answer({ fpsId: payment.fpsId, status: 'accepted' });
      setTimeout(() => answer({ fpsId: payment.fpsId, status: 'accepted' }), behaviour.acceptAfterMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/faster-payments`,
    received,
    /** Every message the scheme got for this payment, retries included. */
    receivedFor: (fpsId: string) => received.filter((payment) => payment.fpsId === fpsId),
    behave(creditorAccountNumber: string, behaviour: SchemeBehaviour) {
      behaviours.set(creditorAccountNumber, behaviour);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type SchemeSimulator = Awaited<ReturnType<typeof startSchemeSimulator>>;
