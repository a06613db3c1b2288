import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FasterPaymentOutboundSend, FasterPaymentResponse } from '@bank/shared-contracts';

/**
 * A stand-in for the Faster Payments scheme, as a real HTTP server: accepts payments, rejects
 * those to a creditor named "Closed Account", and never answers in time for "Slow Bank"
 * (until `heal()`), so unknown outcomes can be tested. Like the real scheme, it answers a
 * repeated FPS id with its first answer.
 */
export async function startFasterPaymentsSchemeSimulator() {
  const answers = new Map<string, FasterPaymentResponse>();
  const received: string[] = [];
  let slow = true;
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const payment = JSON.parse(body) as FasterPaymentOutboundSend;
      received.push(payment.fpsId);
      const reply = (answer: FasterPaymentResponse) => {
        answers.set(payment.fpsId, answer);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      };
      const previous = answers.get(payment.fpsId);
      if (previous) return reply(previous);
      if (payment.creditor.name === 'Slow Bank' && slow) return void setTimeout(() => response.destroy(), 3_000).unref();
      if (payment.creditor.name === 'Closed Account')
        return reply({ fpsId: payment.fpsId, status: 'rejected', rejectReason: 'account_closed', message: 'beneficiary account closed' });
      return reply({ fpsId: payment.fpsId, status: 'accepted' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    heal: () => void (slow = false),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
