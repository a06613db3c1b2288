import type { ApiOutcome } from '../shared/api';
import { formatMinor } from '../shared/money';
import type { Platform } from '../shared/status-follower';

// Sending money, as a state the app keeps above either experience: what the customer typed (the
// draft) and the attempt in progress survive a flip between platforms. One Idempotency-Key per
// attempt: a retry of the same payment to the same platform reuses it, so the bank pays once. A
// payment whose outcome is unknown is never silently retried on the other platform: the two do
// not share idempotency keys, so that could pay twice. The customer is asked to check first.

export interface SendDraft {
  readonly payeeId: string;
  readonly name: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly amount: string;
  readonly reference: string;
}

export const EMPTY_DRAFT: SendDraft = { payeeId: '', name: '', sortCode: '', accountNumber: '', amount: '', reference: '' };

export type SendResult =
  | { readonly kind: 'sent'; readonly text: string }
  | { readonly kind: 'pending'; readonly text: string }
  | { readonly kind: 'refused'; readonly text: string }
  /** No answer, or the platform failed: the payment may or may not have been made. */
  | { readonly kind: 'unknown'; readonly text: string };

export interface SendAttempt {
  readonly key: string;
  readonly platform: Platform;
  readonly draft: SendDraft;
  readonly sending: boolean;
  readonly result?: SendResult;
}

export function sameDraft(a: SendDraft, b: SendDraft): boolean {
  return a.name === b.name && a.sortCode === b.sortCode && a.accountNumber === b.accountNumber && a.amount === b.amount && a.reference === b.reference;
}

/** The key to send with: the unknown attempt's own when this is its retry (same payment, same platform), else a new one. */
export function keyFor(previous: SendAttempt | undefined, draft: SendDraft, platform: Platform, fresh: () => string): string {
  if (previous && previous.result?.kind === 'unknown' && previous.platform === platform && sameDraft(previous.draft, draft)) return previous.key;
  return fresh();
}

/** An unknown outcome on a platform the app no longer talks to: sending again might pay twice. */
export function needsCheckBeforeResend(attempt: SendAttempt | undefined, platform: Platform): boolean {
  return attempt?.result?.kind === 'unknown' && attempt.platform !== platform;
}

interface TransferBody {
  readonly kind?: string;
  readonly status?: string;
  readonly rejectReason?: string;
  readonly why?: string;
}

/** What an answer means for the customer, from either platform (primary: 201/202 with a status; stand-in: 201, 202, 422). */
export function resultOf(outcome: ApiOutcome<TransferBody>, amountMinor: number, payee: string): SendResult {
  const what = `${formatMinor(amountMinor)} to ${payee}`;
  if (outcome.ok) {
    const status = outcome.body.status;
    if (status === 'submitted')
      return { kind: 'pending', text: `${what} is on its way: the payment system has not confirmed it yet. We keep trying; do not send it again.` };
    if (status === 'rejected' || status === 'refused')
      return { kind: 'refused', text: `${what} was refused: ${outcome.body.rejectReason ?? outcome.body.why ?? 'no reason given'}.` };
    return { kind: 'sent', text: `Sent ${what}.` };
  }
  if (outcome.kind === 'refused') {
    const body = outcome.body as TransferBody | undefined;
    if (body?.status === 'refused') return { kind: 'refused', text: `${what} was refused: ${body.rejectReason ?? body.why ?? 'no reason given'}.` };
    if (outcome.status === 401) return { kind: 'refused', text: 'Your session has ended. Please sign in again.' };
    return { kind: 'refused', text: `${what} was refused: ${outcome.message}.` };
  }
  return {
    kind: 'unknown',
    text:
      outcome.kind === 'unreachable'
        ? `We could not reach the bank, so we do not know whether ${what} was sent. Trying again is safe: the bank recognises a repeated request and pays once.`
        : `The bank had a problem and could not confirm ${what}. Trying again is safe: the bank recognises a repeated request and pays once.`,
  };
}
