import fs from 'node:fs';
import path from 'node:path';
import type { DecidedBy, MessageKey } from '@bank/shared-contracts';

// What the payment network and the apps actually heard, message by message, with timing: the
// ground truth the invariants are checked against. Kept in memory and appended, one JSON line per
// exchange, to the run's results folder. Never holds a PAN (cards are named by id).

export type ExchangeKind = 'purchase' | 'atm-withdrawal' | 'reversal' | 'clearing' | 'fps-credit' | 'app-transfer' | 'card-freeze';

/**
 * What the answer said. `gateway-no-answer` is the gateway's 504 with response code 91 (no platform
 * answered in time: the network applies its own stand-in rules); `deferred` a clearing the gateway
 * asked to be presented again later; `no-answer` nothing came back at all.
 */
export type Verdict =
  'approved' | 'declined' | 'settled' | 'rejected' | 'accepted' | 'submitted' | 'refused' | 'gateway-no-answer' | 'deferred' | 'error' | 'no-answer';

/** `late`: an answer came, after the deadline, so the network counted the message as failed. */
export type Timing = 'on-time' | 'late' | 'missing';

export type Via = 'gateway' | 'primary' | 'standin';

export interface Exchange {
  readonly seq: number;
  readonly kind: ExchangeKind;
  /** The scenario's phase when the message was sent (before, fault, recovery, after, ...). */
  readonly phase: string;
  readonly via: Via;
  readonly accountId: string;
  readonly cardId?: string;
  /** The message's own key (authorisations, reversals). */
  readonly key?: MessageKey;
  /** The authorisation a reversal or clearing refers to. */
  readonly original?: MessageKey;
  readonly clearingId?: string;
  readonly fpsId?: string;
  readonly amountMinor: number;
  readonly sentAt: string;
  readonly sentAtMs: number;
  readonly elapsedMs: number;
  readonly deadlineMs: number;
  readonly timing: Timing;
  readonly verdict: Verdict;
  readonly httpStatus?: number;
  readonly responseCode?: string;
  readonly decidedBy?: DecidedBy;
  /** The platform's reason or the error code; digit runs that could be a card number are masked. */
  readonly detail?: string;
  /** 1 for the first presentment; more for the network's repeats of the same message. */
  readonly attempt: number;
  /** The answer's body (an error's included) held the card's number in plain text: invariant 7 counts these. */
  readonly panInAnswer?: true;
}

/** An exchange as its sender knows it; `phase` is the one when it was sent (see `phase()`). */
export type NewExchange = Omit<Exchange, 'seq' | 'timing' | 'sentAt'>;

export interface GroundTruth {
  readonly file: string;
  /** Tags every exchange sent from now on. */
  setPhase(phase: string): void;
  phase(): string;
  record(exchange: NewExchange): Exchange;
  all(): readonly Exchange[];
  close(): Promise<void>;
}

/** Card numbers never reach a record, even if a platform put one in its reason. */
export function maskCardNumbers(text: string): string {
  return text.replace(/\d{12,19}/g, (digits) => `[${digits.length} digits]`);
}

export function timingOf(elapsedMs: number, deadlineMs: number, answered: boolean): Timing {
  if (!answered) return 'missing';
  return elapsedMs <= deadlineMs ? 'on-time' : 'late';
}

export function createGroundTruth(directory: string): GroundTruth {
  fs.mkdirSync(directory, { recursive: true });
  const file = path.join(directory, 'ground-truth.jsonl');
  const stream = fs.createWriteStream(file, { flags: 'w' });
  const exchanges: Exchange[] = [];
  let phase = 'before';
  return {
    file,
    setPhase: (next) => void (phase = next),
    phase: () => phase,
    record(exchange) {
      const answered = exchange.verdict !== 'no-answer';
      const recorded: Exchange = {
        seq: exchanges.length + 1,
        timing: timingOf(exchange.elapsedMs, exchange.deadlineMs, answered),
        sentAt: new Date(exchange.sentAtMs).toISOString(),
        ...exchange,
        elapsedMs: Math.round(exchange.elapsedMs * 10) / 10,
        ...(exchange.detail === undefined ? {} : { detail: maskCardNumbers(exchange.detail).slice(0, 200) }),
      };
      exchanges.push(recorded);
      stream.write(`${JSON.stringify(recorded)}\n`);
      return recorded;
    },
    all: () => exchanges,
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
