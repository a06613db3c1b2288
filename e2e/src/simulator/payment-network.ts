import type { CardAuthorisationRequest, CardClearingRecord, CardReversalRequest, DecidedBy, FasterPaymentInboundCredit } from '@bank/shared-contracts';
import type { Exchange, ExchangeKind, GroundTruth, Verdict } from './ground-truth';
import type { SimulatedCustomer } from './simulated-customer';
import { timedRequest, type TimedResult } from './timed-request';

// The payment networks' side of the data-centre gateway: card authorisations, reversals and
// clearings from the card scheme, credits from Faster Payments. Every message has a deadline; an
// answer after it counts as a failure (recorded as late). Every answer is recorded as heard.

export const DEFAULT_DEADLINE_MS = 2_000;

export interface PaymentNetworkOptions {
  readonly gatewayUrl: string;
  /** The network's credential (NETWORK_TOKEN), presented to the gateway with every message. */
  readonly networkToken: string;
  readonly truth: GroundTruth;
  /** The network's deadline for an answer, per message (default 2 000 ms). */
  readonly deadlineMs?: number;
}

export type PaymentNetwork = ReturnType<typeof createPaymentNetwork>;

interface Heard {
  readonly verdict: Verdict;
  readonly httpStatus?: number;
  readonly responseCode?: string;
  readonly decidedBy?: DecidedBy;
  readonly detail?: string;
}

type Body = { responseCode?: string; decidedBy?: DecidedBy; status?: string; reason?: string; rejectReason?: string; error?: { code?: string } } | undefined;

/** What the network makes of an answer. */
export function classifyAnswer(kind: ExchangeKind, result: TimedResult): Heard {
  if (result.kind === 'no-answer') return { verdict: 'no-answer', detail: result.reason };
  const body = (typeof result.body === 'object' ? result.body : undefined) as Body;
  const base = { httpStatus: result.status, ...(body?.decidedBy ? { decidedBy: body.decidedBy } : {}) };
  if (result.status === 504 && body?.error?.code === 'GATEWAY_NO_ANSWER')
    return { ...base, verdict: 'gateway-no-answer', responseCode: body.responseCode ?? '91', detail: 'GATEWAY_NO_ANSWER' };
  // Present again later: the gateway while traffic goes to stand-in, or primary while the authorisation is not known yet.
  if (result.status === 503 && (body?.error?.code === 'GATEWAY_CLEARING_DEFERRED' || body?.error?.code === 'PRIMARY_CLEARING_AWAITING_AUTHORISATION'))
    return { ...base, verdict: 'deferred', detail: body.error.code };
  if (result.status !== 200 || !body) return { ...base, verdict: 'error', detail: `HTTP ${result.status}${body?.error?.code ? ` ${body.error.code}` : ''}` };
  if (kind === 'clearing') return { ...base, verdict: body.status === 'settled' ? 'settled' : 'rejected', ...(body.reason ? { detail: body.reason } : {}) };
  if (kind === 'fps-credit')
    return { ...base, verdict: body.status === 'accepted' ? 'accepted' : 'rejected', ...(body.rejectReason ? { detail: body.rejectReason } : {}) };
  const approved = body.responseCode === '00';
  return {
    ...base,
    verdict: approved ? 'approved' : 'declined',
    ...(body.responseCode ? { responseCode: body.responseCode } : {}),
    ...(body.reason ? { detail: body.reason } : {}),
  };
}

export function createPaymentNetwork(options: PaymentNetworkOptions) {
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  // Long enough to tell a late answer from none at all.
  const giveUpMs = deadlineMs * 3;
  const pending = new Set<Promise<Exchange>>();

  function send(
    kind: ExchangeKind,
    path: string,
    body: unknown,
    facts: Omit<Exchange, 'seq' | 'phase' | 'via' | 'kind' | 'sentAt' | 'sentAtMs' | 'elapsedMs' | 'deadlineMs' | 'timing' | 'verdict'>,
    pan?: string,
  ): Promise<Exchange> {
    const phase = options.truth.phase();
    const sentAtMs = Date.now();
    const exchange = (async () => {
      const result = await timedRequest({ method: 'POST', url: `${options.gatewayUrl}${path}`, body, token: options.networkToken, giveUpMs });
      // Whatever the answer says (an error especially), it must not say the card's number back.
      const panInAnswer = pan !== undefined && result.kind === 'answer' && result.text.includes(pan);
      return options.truth.record({
        kind,
        phase,
        via: 'gateway',
        sentAtMs,
        elapsedMs: result.elapsedMs,
        deadlineMs,
        ...facts,
        ...classifyAnswer(kind, result),
        ...(panInAnswer ? { panInAnswer: true as const } : {}),
      });
    })();
    pending.add(exchange);
    void exchange.finally(() => pending.delete(exchange));
    return exchange;
  }

  const card = (customer: SimulatedCustomer) => ({ accountId: customer.accountId, cardId: customer.card.id });

  return {
    deadlineMs,
    authorise(customer: SimulatedCustomer, message: CardAuthorisationRequest, attempt = 1): Promise<Exchange> {
      const kind: ExchangeKind = message.processingCode.startsWith('01') ? 'atm-withdrawal' : 'purchase';
      const key = { stan: message.stan, rrn: message.rrn, terminalId: message.terminalId };
      return send(kind, '/scheme/card/authorisations', message, { ...card(customer), key, amountMinor: message.amountMinor, attempt }, message.pan);
    },
    reverse(customer: SimulatedCustomer, message: CardReversalRequest, attempt = 1): Promise<Exchange> {
      const key = { stan: message.stan, rrn: message.rrn, terminalId: message.terminalId };
      const released = message.amountMinor - (message.replacementAmountMinor ?? 0);
      return send(
        'reversal',
        '/scheme/card/reversals',
        message,
        { ...card(customer), key, original: message.original, amountMinor: released, attempt },
        message.pan,
      );
    },
    clear(customer: SimulatedCustomer, record: CardClearingRecord, attempt = 1): Promise<Exchange> {
      return send(
        'clearing',
        '/scheme/card/clearings',
        record,
        {
          ...card(customer),
          ...(record.original ? { original: record.original } : {}),
          clearingId: record.clearingId,
          amountMinor: record.amountMinor,
          attempt,
        },
        record.pan,
      );
    },
    credit(customer: SimulatedCustomer, instruction: FasterPaymentInboundCredit, attempt = 1): Promise<Exchange> {
      return send('fps-credit', '/scheme/faster-payments/inbound', instruction, {
        accountId: customer.accountId,
        fpsId: instruction.fpsId,
        amountMinor: instruction.amountMinor,
        attempt,
      });
    },
    /** Messages sent and not yet answered (or given up on). */
    inFlight: () => pending.size,
    /** Resolves once every message sent so far has its answer recorded. */
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
