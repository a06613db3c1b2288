import fc from 'fast-check';
import { EMPTY_DRAFT, keyFor, needsCheckBeforeResend, resultOf, type SendAttempt } from '../src/web/app/send-money';
import { formatMinor, parseAmountToMinor } from '../src/web/shared/money';

const draft = { ...EMPTY_DRAFT, name: 'A Friend', sortCode: '200000', accountNumber: '12345678', amount: '10.00' };
const unknown: SendAttempt = { key: 'key-1', platform: 'primary', draft, sending: false, result: { kind: 'unknown', text: '' } };
let counter = 0;
const fresh = () => `fresh-${++counter}`;

describe('sending money: one Idempotency-Key per attempt', () => {
  test('a retry of an unknown outcome, same payment, same platform, reuses its key (the bank pays once)', () => {
    expect(keyFor(unknown, draft, 'primary', fresh)).toBe('key-1');
  });

  test('a changed payment, a finished one, or none before gets a new key', () => {
    expect(keyFor(unknown, { ...draft, amount: '11.00' }, 'primary', fresh)).not.toBe('key-1');
    expect(keyFor({ ...unknown, result: { kind: 'sent', text: '' } }, draft, 'primary', fresh)).not.toBe('key-1');
    expect(keyFor(undefined, draft, 'primary', fresh)).toMatch(/^fresh-/);
  });

  test('an unknown outcome on the other platform is never retried silently: the platforms do not share keys', () => {
    expect(needsCheckBeforeResend(unknown, 'standin')).toBe(true);
    expect(needsCheckBeforeResend(unknown, 'primary')).toBe(false);
    expect(keyFor(unknown, draft, 'standin', fresh)).not.toBe('key-1');
  });

  test("each platform's answers, in words", () => {
    expect(resultOf({ ok: true, status: 201, body: { kind: 'faster_payment', status: 'accepted' } }, 1000, 'A Friend')).toEqual({
      kind: 'sent',
      text: 'Sent £10.00 to A Friend.',
    });
    expect(resultOf({ ok: true, status: 201, body: { kind: 'internal', status: 'completed' } }, 1000, 'Ada')).toMatchObject({ kind: 'sent' });
    expect(resultOf({ ok: true, status: 202, body: { status: 'submitted' } }, 1000, 'A Friend')).toMatchObject({ kind: 'pending' });
    expect(resultOf({ ok: true, status: 201, body: { status: 'rejected', rejectReason: 'account closed' } }, 1000, 'X').text).toContain('account closed');
    // Stand-in refuses with 422 and the outcome as the body.
    expect(
      resultOf({ ok: false, kind: 'refused', status: 422, code: 'HTTP_422', message: '', body: { status: 'refused', why: 'not enough money' } }, 1000, 'X'),
    ).toMatchObject({ kind: 'refused', text: expect.stringContaining('not enough money') });
    expect(resultOf({ ok: false, kind: 'unreachable', message: 'could not connect' }, 1000, 'X')).toMatchObject({ kind: 'unknown' });
    expect(resultOf({ ok: false, kind: 'failed', status: 503, code: 'PRIMARY_DEPENDENCY_UNAVAILABLE', message: '' }, 1000, 'X')).toMatchObject({
      kind: 'unknown',
    });
  });
});

describe('amounts typed by a person', () => {
  test('pounds and pence become integer pence, never through floating point', () => {
    expect(parseAmountToMinor('12.5')).toBe(1250);
    expect(parseAmountToMinor('£1,200.05')).toBe(120005);
    expect(parseAmountToMinor('0.07')).toBe(7);
    for (const bad of ['', '0', '0.00', '1.234', '-5', 'ten', '1e3']) expect(parseAmountToMinor(bad)).toBeUndefined();
  });

  test('property: what is shown is what is read back', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 99_999_999_999 }), (minor) => expect(parseAmountToMinor(formatMinor(minor))).toBe(minor)));
  });
});
