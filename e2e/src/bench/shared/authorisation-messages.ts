import { randomInt } from 'node:crypto';
import type { CardAuthorisationRequest } from '@bank/shared-contracts';
import type { BenchCard } from './load-protocol';

// Primary answers a repeated (stan, rrn, terminalId) from its store without doing the work, which
// would flatter the figures; every message here therefore carries a fresh triple. The terminal id
// holds the run's random tag (unique across runs), the rrn a counter (unique within the run).

const RRN_LENGTH = 12;
const STAN_MODULUS = 1_000_000;
/** Small purchases: 1p to 5.00, so generously funded accounts never decline for funds. */
const MAX_AMOUNT_MINOR = 500;

const BENCH_MERCHANT = { name: 'BENCH SHOP', categoryCode: '5411', city: 'London', country: 'GB' } as const;

export interface AuthorisationMessages {
  /** The next message's JSON body; cards are taken in turn so that concurrent requests rarely share an account lock. */
  next(): string;
}

export function authorisationMessages(runTag: string, cards: readonly BenchCard[]): AuthorisationMessages {
  if (!/^[0-9A-Z]{7}$/.test(runTag)) throw new Error(`run tag must be 7 characters of 0-9A-Z, got ${runTag}`);
  if (cards.length === 0) throw new Error('no cards to authorise against');
  const terminalId = `B${runTag}`;
  let counter = 0;
  return {
    next() {
      const sequence = counter++;
      const card = cards[sequence % cards.length] as BenchCard;
      const message: CardAuthorisationRequest = {
        mti: '0100',
        pan: card.pan,
        expiry: card.expiry,
        processingCode: '000000',
        amountMinor: 1 + (sequence % MAX_AMOUNT_MINOR),
        currency: 'GBP',
        transmittedAt: new Date().toISOString(),
        stan: String(sequence % STAN_MODULUS).padStart(6, '0'),
        rrn: sequence.toString(36).toUpperCase().padStart(RRN_LENGTH, '0'),
        terminalId,
        acquirerId: '12345678',
        merchant: BENCH_MERCHANT,
        posEntryMode: 'contactless',
      };
      return JSON.stringify(message);
    },
  };
}

/** A run tag: 7 random characters of 0-9A-Z. */
export function newRunTag(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length: 7 }, () => alphabet[randomInt(alphabet.length)]).join('');
}
