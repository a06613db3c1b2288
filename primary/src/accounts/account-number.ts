import { randomInt } from 'node:crypto';
import { luhnCheckDigit } from '../platform/luhn';

/** This bank's sort code: account numbers under it carry our check digit. */
export const OUR_SORT_CODE = '608371';

/**
 * Our check digit: the Luhn digit over sort code + the first seven account digits. (Real UK
 * modulus checking uses Vocalink's weight tables per sort-code range; for our own range we
 * choose Luhn, which catches every single-digit error and most adjacent swaps.)
 */
export function checkDigit(sortCode: string, firstSevenDigits: string): number {
  return luhnCheckDigit(`${sortCode}${firstSevenDigits}`);
}

export function hasValidCheckDigit(sortCode: string, accountNumber: string): boolean {
  if (!/^\d{6}$/.test(sortCode) || !/^\d{8}$/.test(accountNumber)) return false;
  return checkDigit(sortCode, accountNumber.slice(0, 7)) === Number(accountNumber[7]);
}

export function newAccountNumber(): string {
  const firstSeven = String(randomInt(0, 10_000_000)).padStart(7, '0');
  return `${firstSeven}${checkDigit(OUR_SORT_CODE, firstSeven)}`;
}
