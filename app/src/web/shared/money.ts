// Money is integer pence from the platforms to the screen; only here does it become text, and only
// here does typed text become pence (never through floating point).

const formatter = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });

export function formatMinor(minor: number): string {
  return formatter.format(minor / 100);
}

/**
 * "12.5", "£12.50", "1,200" → pence; undefined when it is not plainly an amount of money. A comma
 * only separates thousands: "12,50" (a decimal comma) is refused, not read as £1,250.
 */
export function parseAmountToMinor(text: string): number | undefined {
  const cleaned = text.trim().replace(/^£\s*/, '');
  const match = /^(\d{1,3}(?:,\d{3}){1,2}|\d{1,9})(?:\.(\d{1,2}))?$/.exec(cleaned);
  if (!match) return undefined;
  const pounds = Number(match[1]!.replace(/,/g, ''));
  const pence = Number((match[2] ?? '').padEnd(2, '0'));
  const minor = pounds * 100 + pence;
  return minor > 0 ? minor : undefined;
}

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** "12 s ago", "3 min ago": how fresh something is, from the platform's own figure. */
export function formatAge(ms: number): string {
  if (ms < 1_000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${Math.round(ms / 3_600_000)} h ago`;
}
