// Incident engineers' tokens. Configuration moves every customer's payments, so only a named
// operator may change it, and the name recorded is the one the token belongs to, never one the
// client claims.

export interface Operator {
  readonly name: string;
  readonly token: string;
}

const OPERATOR_NAME = /^[0-9A-Za-z._@-]{1,100}$/;

/** `name:token,name2:token2`, as OPERATOR_TOKENS holds it. Throws naming the entry that is wrong. */
export function parseOperatorTokens(value: string): Operator[] {
  const operators = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, index) => {
      const colon = entry.indexOf(':');
      const name = colon > 0 ? entry.slice(0, colon).trim() : '';
      const token = colon > 0 ? entry.slice(colon + 1).trim() : '';
      // The entry itself is never quoted back: it holds a secret.
      if (!OPERATOR_NAME.test(name) || !token)
        throw new Error(`OPERATOR_TOKENS entry ${index + 1} is not name:token (name: 1 to 100 letters, digits, . _ @ or -; token: not empty)`);
      return { name, token };
    });
  if (operators.length === 0) throw new Error('OPERATOR_TOKENS names no operator: expected name:token,name2:token2');
  // Two tokens for one name is a rotation (the old and the new, both valid until the old is removed); three is a mistake.
  const counts = new Map<string, number>();
  for (const { name } of operators) counts.set(name, (counts.get(name) ?? 0) + 1);
  if ([...counts.values()].some((count) => count > 2))
    throw new Error('OPERATOR_TOKENS names an operator more than twice: each name has one token, or two during a rotation');
  return operators;
}
