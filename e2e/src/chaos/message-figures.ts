import type { Exchange, ExchangeKind } from '../simulator/ground-truth';

// The figures a payment network would judge a platform by: of the messages sent, how many were
// answered within the deadline, approved, declined, answered 91 by the gateway (no platform in
// time), deferred, late or never answered; and who decided.

export interface MessageFigures {
  readonly sent: number;
  readonly answeredWithinDeadline: number;
  /** Approved, accepted, settled (clearings) or submitted (transfers). */
  readonly approvals: number;
  /** Declined, rejected or refused by a platform. */
  readonly declines: number;
  /** The gateway's 504 with response code 91: no platform answered in its deadline. */
  readonly gatewayNoAnswer: number;
  /** Clearings the gateway asked to be presented again later. */
  readonly deferred: number;
  /** Any other answer (an HTTP error). */
  readonly errors: number;
  readonly late: number;
  readonly missing: number;
  readonly decidedBy: { readonly primary: number; readonly standin: number };
  readonly approvalsBy: { readonly primary: number; readonly standin: number };
}

const APPROVALS = new Set(['approved', 'accepted', 'settled', 'submitted']);
const DECLINES = new Set(['declined', 'rejected', 'refused']);

export function figuresOf(exchanges: readonly Exchange[]): MessageFigures {
  const count = (test: (exchange: Exchange) => boolean) => exchanges.filter(test).length;
  return {
    sent: exchanges.length,
    answeredWithinDeadline: count((e) => e.timing === 'on-time'),
    approvals: count((e) => APPROVALS.has(e.verdict)),
    declines: count((e) => DECLINES.has(e.verdict)),
    gatewayNoAnswer: count((e) => e.verdict === 'gateway-no-answer'),
    deferred: count((e) => e.verdict === 'deferred'),
    errors: count((e) => e.verdict === 'error'),
    late: count((e) => e.timing === 'late'),
    missing: count((e) => e.timing === 'missing'),
    decidedBy: { primary: count((e) => e.decidedBy === 'primary'), standin: count((e) => e.decidedBy === 'standin') },
    approvalsBy: {
      primary: count((e) => e.decidedBy === 'primary' && APPROVALS.has(e.verdict)),
      standin: count((e) => e.decidedBy === 'standin' && APPROVALS.has(e.verdict)),
    },
  };
}

/** Messages from the payment networks, through the gateway (not the apps' requests). */
export const NETWORK_KINDS: readonly ExchangeKind[] = ['purchase', 'atm-withdrawal', 'reversal', 'clearing', 'fps-credit'];
export const APP_KINDS: readonly ExchangeKind[] = ['app-transfer', 'card-freeze'];

export function groupFigures(exchanges: readonly Exchange[], by: (exchange: Exchange) => string): Record<string, MessageFigures> {
  const groups = new Map<string, Exchange[]>();
  for (const exchange of exchanges) groups.set(by(exchange), [...(groups.get(by(exchange)) ?? []), exchange]);
  return Object.fromEntries([...groups].map(([name, members]) => [name, figuresOf(members)]));
}
