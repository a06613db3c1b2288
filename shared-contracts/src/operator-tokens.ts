import { createHash, timingSafeEqual } from 'node:crypto';

// The incident engineers, named by their tokens (OPERATOR_TOKENS): for the services that admit
// operators beside the platforms (the advice consumer, the app server's console). name:token pairs,
// comma-separated, the same operators as the platforms'. Tokens are kept as digests and compared in constant time, against every operator.

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
