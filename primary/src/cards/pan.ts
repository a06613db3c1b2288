import { randomInt } from 'node:crypto';
import { luhnCheckDigit } from '../platform/luhn';

/** Our card range (a test BIN): every PAN we issue starts with it. */
export const OUR_BIN = '459876';
const PAN_LENGTH = 16;

export function isLuhnValid(pan: string): boolean {
  return /^\d{12,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === Number(pan.at(-1));
}

export function newPan(): string {
  let body = OUR_BIN;
  while (body.length < PAN_LENGTH - 1) body += String(randomInt(0, 10));
  return `${body}${luhnCheckDigit(body)}`;
}

/** Expiry as YYMM, `years` after `now`, in the month of issue. */
export function expiryFrom(now: Date, years: number): string {
  const year = (now.getUTCFullYear() + years) % 100;
  return `${String(year).padStart(2, '0')}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** A card is valid through the last day of its expiry month (UTC). */
export function isExpired(expiry: string, now: Date): boolean {
  const year = 2000 + Number(expiry.slice(0, 2));
  const month = Number(expiry.slice(2, 4));
  return now.getTime() >= Date.UTC(year, month, 1);
}
