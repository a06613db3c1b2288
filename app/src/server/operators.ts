import { createHash, timingSafeEqual } from 'node:crypto';

// Who may open the incident console: the operators of OPERATOR_TOKENS (name:token pairs,
// comma-separated; the same operators the platforms know). The app server checks the token itself
// before it reads anything, so a made-up token reads nothing, even while both platforms are down
// and cannot say no. Tokens kept as digests, compared in constant time against every operator.

export type OperatorOf = (token: string | undefined) => string | undefined;

const digest = (value: string) => createHash('sha256').update(value).digest();

export function operatorsFromTokens(raw: string): OperatorOf {
  const operators = raw
    .split(',')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '')
    .map((pair, index) => {
      const colon = pair.indexOf(':');
      const name = pair.slice(0, Math.max(colon, 0)).trim();
      const token = pair.slice(colon + 1).trim();
      // Never quote the entry back: it holds a secret.
      if (colon <= 0 || !token) throw new Error(`OPERATOR_TOKENS entry ${index + 1} is not name:token`);
      return { name, digest: digest(token) };
    });
  if (operators.length === 0) throw new Error('OPERATOR_TOKENS names no operator: expected name:token,name2:token2');
  return (token) => {
    if (!token) return undefined;
    const offered = digest(token);
    let found: string | undefined;
    for (const operator of operators) if (timingSafeEqual(operator.digest, offered) && found === undefined) found = operator.name;
    return found;
  };
}

/** The first operator's token, offered by the console in local mode only (public development values). */
export function firstOperatorToken(raw: string): string | undefined {
  const first = raw.split(',')[0]?.trim() ?? '';
  const colon = first.indexOf(':');
  return colon > 0 ? first.slice(colon + 1).trim() || undefined : undefined;
}
