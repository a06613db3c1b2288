import type { ApiOutcome } from '../shared/api';
import { formatMinor, parseAmountToMinor } from '../shared/money';
import type { Platform } from '../shared/status-follower';

// Sending money, as a state the app keeps above either experience (and in the tab's storage): what
// the customer typed (the draft) and the attempt in progress survive a flip between platforms and
// a reload. One Idempotency-Key per payment: every retry of a payment that may or may not have
// been made reuses it, so the bank pays once. Such a payment is never sent again with a new key
// without the customer checking first: not after an edit, not on the other platform, not after
// the configuration changed (the platforms do not share idempotency keys, and primary forwards
// payments to stand-in under some configurations), not after a reload mid-request.

export interface SendDraft {
  readonly payeeId: string;
  readonly name: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly amount: string;
  readonly reference: string;
}

export const EMPTY_DRAFT: SendDraft = { payeeId: '', name: '', sortCode: '', accountNumber: '', amount: '', reference: '' };

/** The transfer as the bank receives it: what "the same payment" means. */
export interface TransferRequest {
  readonly amountMinor: number;
  readonly creditor: { readonly name: string; readonly sortCode: string; readonly accountNumber: string };
  readonly reference: string;
}

/** The draft as a transfer, or why not (in words). */
export function requestOf(draft: SendDraft): { ok: true; request: TransferRequest } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const name = draft.name.trim();
  const sortCode = draft.sortCode.replace(/[-\s]/g, '');
  const accountNumber = draft.accountNumber.replace(/\s/g, '');
  const amountMinor = parseAmountToMinor(draft.amount);
  if (!name) problems.push('Enter the name on the account you are paying.');
  if (!/^\d{6}$/.test(sortCode)) problems.push('A sort code is 6 digits.');
  if (!/^\d{8}$/.test(accountNumber)) problems.push('An account number is 8 digits.');
  if (amountMinor === undefined) problems.push('Enter an amount in pounds and pence, such as 12.50.');
  if (problems.length > 0 || amountMinor === undefined) return { ok: false, problems };
  return { ok: true, request: { amountMinor, creditor: { name, sortCode, accountNumber }, reference: draft.reference.trim() } };
}

export function sameRequest(a: TransferRequest, b: TransferRequest): boolean {
  return (
    a.amountMinor === b.amountMinor &&
    a.creditor.name === b.creditor.name &&
    a.creditor.sortCode === b.creditor.sortCode &&
    a.creditor.accountNumber === b.creditor.accountNumber &&
    a.reference === b.reference
  );
}

export type SendResult =
  | { readonly kind: 'sent'; readonly text: string }
  | { readonly kind: 'pending'; readonly text: string }
  /** The bank said no to this payment: it was not made. */
  | { readonly kind: 'refused'; readonly text: string }
  /** The bank did not take it (busy, signed out, rate limit): not made, and a retry with the same key is safe. */
  | { readonly kind: 'not_taken'; readonly text: string }
  /** No answer, or the platform failed: the payment may or may not have been made. */
  | { readonly kind: 'unknown'; readonly text: string };

/** Where a payment was sent: a retry goes to the same place under the same configuration, or not at all. */
export interface SendTarget {
  readonly platform: Platform;
  readonly configurationVersion: number;
}

export interface SendAttempt {
  readonly key: string;
  readonly target: SendTarget;
  readonly request: TransferRequest;
  /** True while the request is out (a reload then leaves the outcome unknown). */
  readonly sending: boolean;
  readonly result?: SendResult;
}

/** A payment that was maybe made, or not taken: its key is kept for its retry. */
const keepsKey = (attempt: SendAttempt | undefined) =>
  attempt !== undefined && (attempt.sending || attempt.result?.kind === 'unknown' || attempt.result?.kind === 'not_taken');

/** What pressing Send does now. */
export type SendAction =
  | { readonly kind: 'send'; readonly key: 'new' }
  /** The retry of the same payment, to the same place: the same key. */
  | { readonly kind: 'retry'; readonly key: string }
  /** A payment may have been made and this would be a different request, or go elsewhere: the customer checks first. */
  | { readonly kind: 'check_first' };

export function sendAction(previous: SendAttempt | undefined, request: TransferRequest, target: SendTarget): SendAction {
  if (!keepsKey(previous)) return { kind: 'send', key: 'new' };
  const sameTarget = previous!.target.platform === target.platform && previous!.target.configurationVersion === target.configurationVersion;
  if (sameTarget && sameRequest(previous!.request, request)) return { kind: 'retry', key: previous!.key };
  // Not taken at all: anything else may go with a new key.
  if (previous!.result?.kind === 'not_taken' && !previous!.sending) return { kind: 'send', key: 'new' };
  return { kind: 'check_first' };
}

/** After a reload, an attempt that was still out has an unknown outcome. */
export function restoredAttempt(saved: SendAttempt | undefined): SendAttempt | undefined {
  if (!saved?.sending) return saved;
  return {
    ...saved,
    sending: false,
    result: { kind: 'unknown', text: `We could not confirm ${describe(saved.request)} before the page reloaded. Trying again is safe: the bank pays once.` },
  };
}

const describe = (request: TransferRequest) => `${formatMinor(request.amountMinor)} to ${request.creditor.name}`;

interface TransferBody {
  readonly kind?: string;
  readonly status?: string;
  readonly rejectReason?: string;
  readonly why?: string;
}

/** Refusals that say this payment was not made: a bad request, no such account, not enough money, the scheme said no. (A 409, the key already used for another request, says nothing about this one: unknown.) */
const DEFINITE_REFUSALS = new Set([400, 404, 422]);

/** What an answer means for the customer, from either platform (primary: 201/202 with a status; stand-in: 201, 202, 422). */
export function resultOf(outcome: ApiOutcome<TransferBody>, request: TransferRequest): SendResult {
  const what = describe(request);
  // Stand-in's reason is written for people; the scheme's reject reason is a code.
  const reasonOf = (body: TransferBody | undefined) => body?.why ?? body?.rejectReason ?? 'no reason given';
  if (outcome.ok) {
    const status = outcome.body.status;
    if (status === 'submitted')
      return { kind: 'pending', text: `${what} is on its way: the payment system has not confirmed it yet. We keep trying; do not send it again.` };
    if (status === 'rejected' || status === 'refused') return { kind: 'refused', text: `${what} was refused: ${reasonOf(outcome.body)}.` };
    return { kind: 'sent', text: `Sent ${what}.` };
  }
  if (outcome.kind === 'unreachable')
    return { kind: 'unknown', text: `We could not reach the bank, so we do not know whether ${what} was sent. Trying again is safe: the bank pays once.` };
  const body = outcome.body as TransferBody | undefined;
  if (body?.status === 'refused' || body?.status === 'rejected') return { kind: 'refused', text: `${what} was refused: ${reasonOf(body)}.` };
  if (outcome.status === 401) return { kind: 'not_taken', text: `${what} was not sent: please sign in again, then try again.` };
  if (outcome.status === 429)
    return {
      kind: 'not_taken',
      text: `${what} was not sent: too many requests just now. Try again${outcome.retryAfterS ? ` in ${outcome.retryAfterS} s` : ' shortly'}.`,
    };
  if (outcome.kind === 'refused' && DEFINITE_REFUSALS.has(outcome.status)) return { kind: 'refused', text: `${what} was refused: ${outcome.message}.` };
  return { kind: 'unknown', text: `The bank had a problem and could not confirm ${what}. Trying again is safe: the bank pays once.` };
}

const STORAGE_KEY = 'bank.sendMoney';

/** Kept in the tab's storage before the request goes out, so a reload cannot lose the key of a payment that may have been made. */
export function saveSendState(state: { draft: SendDraft; attempt: SendAttempt | undefined } | undefined): void {
  try {
    if (state) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage full or refused: the app still works, without surviving a reload.
  }
}

export function loadSendState(): { draft: SendDraft; attempt: SendAttempt | undefined } {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (raw) {
      const saved = JSON.parse(raw) as { draft: SendDraft; attempt?: SendAttempt };
      return { draft: saved.draft ?? EMPTY_DRAFT, attempt: restoredAttempt(saved.attempt) };
    }
  } catch {
    // Unreadable: start afresh.
  }
  return { draft: EMPTY_DRAFT, attempt: undefined };
}
