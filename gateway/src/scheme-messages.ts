import type { z } from 'zod';
import {
  CardAuthorisationRequest,
  CardAuthorisationResponse,
  CardClearingRecord,
  CardClearingResult,
  CardReversalRequest,
  CardReversalResponse,
  FasterPaymentInboundCredit,
  FasterPaymentResponse,
} from '@bank/shared-contracts';

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
  /** What the platform answers it with (passed on unchanged): for the API reference. */
  readonly answer: z.ZodType;
  readonly scheme: Scheme;
  /** Stand-in takes no clearings: they wait for primary. */
  readonly standinTakesIt: boolean;
}

export const SCHEME_MESSAGES: readonly SchemeMessageKind[] = [
  {
    name: 'card_authorisation',
    description: 'card authorisation request',
    path: '/scheme/card/authorisations',
    schema: CardAuthorisationRequest,
    answer: CardAuthorisationResponse,
    scheme: 'card',
    standinTakesIt: true,
  },
  {
    name: 'card_reversal',
    description: 'card reversal request',
    path: '/scheme/card/reversals',
    schema: CardReversalRequest,
    answer: CardReversalResponse,
    scheme: 'card',
    standinTakesIt: true,
  },
  {
    name: 'card_clearing',
    description: 'card clearing record',
    path: '/scheme/card/clearings',
    schema: CardClearingRecord,
    answer: CardClearingResult,
    scheme: 'card',
    standinTakesIt: false,
  },
  {
    name: 'fps_inbound',
    description: 'Faster Payments inbound credit',
    path: '/scheme/faster-payments/inbound',
    schema: FasterPaymentInboundCredit,
    answer: FasterPaymentResponse,
    scheme: 'fps',
    standinTakesIt: true,
  },
];

export function schemeMessage(name: SchemeMessageKind['name']): SchemeMessageKind {
  const kind = SCHEME_MESSAGES.find((candidate) => candidate.name === name);
  if (!kind) throw new Error(`no scheme message named ${name}`);
  return kind;
}
