// Finds card numbers in text: every run of digits long enough to hold one is checked against the
// PANs the simulator used, including PANs inside a longer run of digits.

export interface PanFinder {
  /** The PANs found in `text`, each once, masked (first 6 and last 4) for the report. */
  find(text: string): string[];
  /** A PostgreSQL regular expression matching any of the PANs. */
  readonly sqlPattern: string;
}

export const maskPan = (pan: string) => `${pan.slice(0, 6)}${'*'.repeat(Math.max(0, pan.length - 10))}${pan.slice(-4)}`;

export function panFinder(pans: readonly string[]): PanFinder {
  const wanted = new Set(pans);
  const lengths = [...new Set(pans.map((pan) => pan.length))];
  const shortest = Math.min(...lengths);
  const runs = new RegExp(`\\d{${Number.isFinite(shortest) ? shortest : 12},}`, 'g');
  return {
    find(text) {
      const found = new Set<string>();
      for (const match of text.matchAll(runs)) {
        const digits = match[0];
        for (const length of lengths) {
          for (let start = 0; start + length <= digits.length; start++) {
            const candidate = digits.slice(start, start + length);
            if (wanted.has(candidate)) found.add(maskPan(candidate));
          }
        }
      }
      return [...found];
    },
    sqlPattern: pans.length > 0 ? `(${pans.join('|')})` : '(?!)',
  };
}
