import fc from 'fast-check';
import { hasValidCheckDigit, newAccountNumber, OUR_SORT_CODE } from '../src/accounts/account-number';
import { expiryFrom, isExpired, isLuhnValid, newPan, OUR_BIN } from '../src/cards/pan';

describe('check digits', () => {
  test('every PAN we issue is in our range and passes Luhn', () => {
    for (let index = 0; index < 1_000; index++) {
      const pan = newPan();
      expect(pan.startsWith(OUR_BIN)).toBe(true);
      expect(isLuhnValid(pan)).toBe(true);
    }
  });

  test('property: any single mistyped digit in one of our account numbers is caught', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 9 }), (position, shift) => {
        const accountNumber = newAccountNumber();
        expect(hasValidCheckDigit(OUR_SORT_CODE, accountNumber)).toBe(true);
        const digits = accountNumber.split('');
        digits[position] = String((Number(digits[position]) + shift) % 10);
        expect(hasValidCheckDigit(OUR_SORT_CODE, digits.join(''))).toBe(false);
      }),
    );
  });

  test('a card issued on 2026-11-21 for four years expires at the end of November 2030', () => {
    const expiry = expiryFrom(new Date('2026-11-21T10:00:00Z'), 4);
    expect(expiry).toBe('3011');
    expect(isExpired(expiry, new Date('2030-11-30T23:59:59Z'))).toBe(false);
    expect(isExpired(expiry, new Date('2030-12-01T00:00:00Z'))).toBe(true);
  });
});
