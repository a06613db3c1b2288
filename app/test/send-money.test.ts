import fc from 'fast-check';
import { EMPTY_DRAFT, requestOf, restoredAttempt, resultOf, sendAction, type SendAttempt, type TransferRequest } from '../src/web/app/send-money';
import { formatMinor, parseAmountToMinor } from '../src/web/shared/money';

// Sending money: one Idempotency-Key per payment. Every retry of a payment that may have been made
// reuses its key (the bank pays once); such a payment is never sent again under a new key without
// the customer checking first.

const draft = { ...EMPTY_DRAFT, name: 'A Friend', sortCode: '20-00-00', accountNumber: '12345678', amount: '12.50' };
const request = (overrides: Partial<TransferRequest> = {}): TransferRequest => {
  const parsed = requestOf(draft);
  if (!parsed.ok) throw new Error('the draft should parse');
  return { ...parsed.request, ...overrides };
};
const onPrimary = { platform: 'primary' as const, configurationVersion: 4 };
const attempt = (result: SendAttempt['result'], overrides: Partial<SendAttempt> = {}): SendAttempt => ({
  key: 'key-1',
  target: onPrimary,
  request: request(),
  sending: false,
  ...(result ? { result } : {}),
  ...overrides,
});
const unknown = attempt({ kind: 'unknown', text: '' });

describe('which key a payment goes with', () => {
  test('the same payment typed differently ("12.5", a sort code without dashes) is the same payment: its retry reuses the key', () => {
    const retyped = requestOf({ ...draft, amount: '12.5', sortCode: '200000', name: ' A Friend ' });
    expect(retyped.ok && sendAction(unknown, retyped.request, onPrimary)).toEqual({ kind: 'retry', key: 'key-1' });
  });

  test('a payment that may have been made is never sent again under a new key without a check: not edited, not elsewhere, not under another configuration', () => {
    expect(sendAction(unknown, request({ amountMinor: 1_300 }), onPrimary)).toEqual({ kind: 'check_first' });
    expect(sendAction(unknown, request({ reference: 'RENT' }), onPrimary)).toEqual({ kind: 'check_first' });
    expect(sendAction(unknown, request(), { platform: 'standin', configurationVersion: 4 })).toEqual({ kind: 'check_first' });
    // Primary forwards payments to stand-in under some configurations: a new one may mean another idempotency store.
    expect(sendAction(unknown, request(), { platform: 'primary', configurationVersion: 5 })).toEqual({ kind: 'check_first' });
  });

  test('a page reloaded while the payment was out: its outcome is unknown, and the same rules hold', () => {
    const restored = restoredAttempt(attempt(undefined, { sending: true }));
    expect(restored?.result?.kind).toBe('unknown');
    expect(sendAction(restored, request(), onPrimary)).toEqual({ kind: 'retry', key: 'key-1' });
    expect(sendAction(restored, request({ amountMinor: 99 }), onPrimary)).toEqual({ kind: 'check_first' });
  });

  test('a payment that is over (sent, pending, refused) or was not taken leaves the next one a new key', () => {
    for (const kind of ['sent', 'pending', 'refused'] as const)
      expect(sendAction(attempt({ kind, text: '' }), request(), onPrimary)).toEqual({ kind: 'send', key: 'new' });
    const notTaken = attempt({ kind: 'not_taken', text: '' });
    expect(sendAction(notTaken, request(), onPrimary)).toEqual({ kind: 'retry', key: 'key-1' });
    expect(sendAction(notTaken, request({ amountMinor: 99 }), onPrimary)).toEqual({ kind: 'send', key: 'new' });
    expect(sendAction(undefined, request(), onPrimary)).toEqual({ kind: 'send', key: 'new' });
  });
});

describe("each platform's answers, in words", () => {
  const paid = request();
  test('made, on its way, refused', () => {
    expect(resultOf({ ok: true, status: 201, body: { kind: 'faster_payment', status: 'accepted' } }, paid)).toEqual({
      kind: 'sent',
      text: 'Sent £12.50 to A Friend.',
    });
    expect(resultOf({ ok: true, status: 201, body: { kind: 'internal', status: 'completed' } }, paid)).toMatchObject({ kind: 'sent' });
    expect(resultOf({ ok: true, status: 202, body: { status: 'submitted' } }, paid)).toMatchObject({ kind: 'pending' });
    expect(resultOf({ ok: true, status: 201, body: { status: 'rejected', rejectReason: 'AC04' } }, paid).text).toContain('AC04');
    // Stand-in refuses with 422 and the outcome as the body: its words before the scheme's code.
    expect(
      resultOf(
        { ok: false, kind: 'refused', status: 422, code: 'HTTP_422', message: '', body: { status: 'refused', why: 'not enough money', rejectReason: 'AM04' } },
        paid,
      ),
    ).toMatchObject({ kind: 'refused', text: expect.stringContaining('not enough money') });
    expect(resultOf({ ok: false, kind: 'refused', status: 422, code: 'PRIMARY_INSUFFICIENT_FUNDS', message: 'not enough' }, paid)).toMatchObject({
      kind: 'refused',
    });
  });

  test('no answer, a failure, or a 409 (the key already used for another request) leave the outcome unknown', () => {
    expect(resultOf({ ok: false, kind: 'unreachable', message: 'could not connect' }, paid)).toMatchObject({ kind: 'unknown' });
    expect(resultOf({ ok: false, kind: 'failed', status: 503, code: 'PRIMARY_DEPENDENCY_UNAVAILABLE', message: '' }, paid)).toMatchObject({ kind: 'unknown' });
    expect(resultOf({ ok: false, kind: 'refused', status: 409, code: 'PRIMARY_IDEMPOTENCY_KEY_REUSED', message: '' }, paid)).toMatchObject({ kind: 'unknown' });
  });

  test('signed out or rate-limited: not taken, and the retry keeps the key', () => {
    expect(resultOf({ ok: false, kind: 'refused', status: 401, code: 'STANDIN_UNAUTHENTICATED', message: '' }, paid)).toMatchObject({ kind: 'not_taken' });
    expect(resultOf({ ok: false, kind: 'refused', status: 429, code: 'RATE', message: '', retryAfterS: 3 }, paid)).toMatchObject({
      kind: 'not_taken',
      text: expect.stringContaining('in 3 s'),
    });
  });
});

describe('amounts typed by a person', () => {
  test('pounds and pence become integer pence, never through floating point', () => {
    expect(parseAmountToMinor('12.5')).toBe(1250);
    expect(parseAmountToMinor('£1,200.05')).toBe(120005);
    expect(parseAmountToMinor('1,234,567')).toBe(123456700);
    expect(parseAmountToMinor('0.07')).toBe(7);
    // A decimal comma is not read as thousands: "12,50" is refused, not £1,250.
    for (const bad of ['', '0', '0.00', '1.234', '-5', 'ten', '1e3', '12,50', '1,2345', ',100']) expect(parseAmountToMinor(bad)).toBeUndefined();
  });

  test('property: what is shown is what is read back', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 99_999_999_999 }), (minor) => expect(parseAmountToMinor(formatMinor(minor))).toBe(minor)));
  });
});
