// The first operator of OPERATOR_TOKENS (name:token pairs; parsed by shared-contracts'
// operatorsFromTokens, as the advice consumer does), whose token the console offers in local mode
// only: the platforms' public development value there.
export function firstOperatorToken(raw: string): string | undefined {
  const first = raw.split(',')[0]?.trim() ?? '';
  const colon = first.indexOf(':');
  return colon > 0 ? first.slice(colon + 1).trim() || undefined : undefined;
}
