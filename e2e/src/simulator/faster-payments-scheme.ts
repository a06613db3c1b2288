import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FasterPaymentOutboundSend, safeParseContract, type FasterPaymentResponse } from '@bank/shared-contracts';

// The Faster Payments scheme as the platforms see it: they POST `${url}/payments` an outbound
// payment and hear accepted or rejected. Like the real scheme it is idempotent by FPS id (a
// repeat gets the first answer and moves no money again), and it records every submission, so
// the invariants can tell which payments left the bank and how often each was asked for.

export interface OutboundPaymentReceived {
  readonly fpsId: string;
  readonly amountMinor: number;
  readonly debtor: { readonly sortCode: string; readonly accountNumber: string };
  readonly creditor: { readonly sortCode: string; readonly accountNumber: string; readonly name: string };
  readonly firstReceivedAt: string;
  /** How many times it was submitted (a platform retrying an unknown outcome submits again). */
  readonly submissions: number;
  readonly answer: FasterPaymentResponse;
}

export interface FasterPaymentsSchemeSimulator {
  /** Base URL to give the platforms as FASTER_PAYMENTS_SCHEME_URL. */
  readonly url: string;
  received(): readonly OutboundPaymentReceived[];
  close(): Promise<void>;
}

/** A creditor with this name is refused by the scheme, so rejections (and the platform's refund) can be exercised. */
export const CLOSED_ACCOUNT_NAME = 'Closed Account';

const MAX_BODY_BYTES = 64 * 1024;

export async function startFasterPaymentsScheme(options: { port?: number; host?: string } = {}): Promise<FasterPaymentsSchemeSimulator> {
  const host = options.host ?? '127.0.0.1';
  const payments = new Map<string, { record: OutboundPaymentReceived }>();

  const server = http.createServer((request, response) => {
    const reply = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    // `npm start` waits for this before it starts the platforms that submit here.
    if (request.method === 'GET' && request.url === '/health') return reply(200, { status: 'ok', payments: payments.size });
    if (request.method !== 'POST' || !request.url?.endsWith('/payments'))
      return reply(404, { error: { code: 'SCHEME_NOT_FOUND', message: 'POST <base>/payments' } });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply(400, { error: { code: 'SCHEME_INVALID_REQUEST', message: 'expected a JSON body' } });
      }
      const parsed = safeParseContract('outbound Faster Payment', FasterPaymentOutboundSend, raw);
      if (!parsed.ok) return reply(400, { error: { code: 'SCHEME_INVALID_REQUEST', message: parsed.error.message } });
      const payment = parsed.value;
      const known = payments.get(payment.fpsId);
      if (known) {
        known.record = { ...known.record, submissions: known.record.submissions + 1 };
        return reply(200, known.record.answer);
      }
      const answer: FasterPaymentResponse =
        payment.creditor.name === CLOSED_ACCOUNT_NAME
          ? { fpsId: payment.fpsId, status: 'rejected', rejectReason: 'account_closed', message: 'beneficiary account closed' }
          : { fpsId: payment.fpsId, status: 'accepted' };
      payments.set(payment.fpsId, {
        record: {
          fpsId: payment.fpsId,
          amountMinor: payment.amountMinor,
          debtor: { sortCode: payment.debtor.sortCode, accountNumber: payment.debtor.accountNumber },
          creditor: { sortCode: payment.creditor.sortCode, accountNumber: payment.creditor.accountNumber, name: payment.creditor.name },
          firstReceivedAt: new Date().toISOString(),
          submissions: 1,
          answer,
        },
      });
      return reply(200, answer);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/faster-payments`,
    received: () => [...payments.values()].map((entry) => entry.record),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
