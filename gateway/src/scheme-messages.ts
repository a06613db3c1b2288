import type { z } from 'zod';
import { CardAuthorisationRequest, CardClearingRecord, CardReversalRequest, FasterPaymentInboundCredit } from '@bank/shared-contracts';

/** Which deadline a message runs against. */
export type Scheme = 'card' | 'fps';

/** One kind of message the payment networks send, at the path both platforms expose for it. */
export interface SchemeMessageKind {
  /** Metric label and log field. */
  readonly name: 'card_authorisation' | 'card_reversal' | 'card_clearing' | 'fps_inbound';
  /** Named in error messages. */
  readonly description: string;
  readonly path: string;
  readonly schema: z.ZodType;
  readonly scheme: Scheme;
  /** Stand-in takes no clearings: they wait for primary. */
  readonly standinTakesIt: boolean;
}

export const SCHEME_MESSAGES: readonly SchemeMessageKind[] = [
  { name: 'card_authorisation', description: 'card authorisation request', path: '/scheme/card/authorisations', schema: CardAuthorisationRequest, scheme: 'card', standinTakesIt: true },
  { name: 'card_reversal', description: 'card reversal request', path: '/scheme/card/reversals', schema: CardReversalRequest, scheme: 'card', standinTakesIt: true },
  { name: 'card_clearing', description: 'card clearing record', path: '/scheme/card/clearings', schema: CardClearingRecord, scheme: 'card', standinTakesIt: false },
  { name: 'fps_inbound', description: 'Faster Payments inbound credit', path: '/scheme/faster-payments/inbound', schema: FasterPaymentInboundCredit, scheme: 'fps', standinTakesIt: true },
];

export function schemeMessage(name: SchemeMessageKind['name']): SchemeMessageKind {
  const kind = SCHEME_MESSAGES.find((candidate) => candidate.name === name);
  if (!kind) throw new Error(`no scheme message named ${name}`);
  return kind;
}
