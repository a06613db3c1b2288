import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServiceIdentity } from '@bank/shared-contracts';
import type { Operators } from '../configuration/operators';

// Who a bearer token is, among the callers stand-in knows by credential: a named operator or a
// service identity (PRIMARY_TOKEN, GATEWAY_TOKEN, ADVICE_CONSUMER_TOKEN; each may have a second,
// `_NEXT`, during a rotation). Customers' tokens are looked up in stand-in's database.

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Every credential comparison in stand-in goes through here. Hashing first gives equal lengths, so
 * the comparison's time says nothing about the token or how much of a guess was right.
 */
export const sameSecret = (given: string, expected: string): boolean => timingSafeEqual(digest(given), digest(expected));

export type StandinCredential = { readonly operator: string } | { readonly service: ServiceIdentity };

export interface StandinCredentials {
  whoIs(token: string | undefined): StandinCredential | undefined;
}

export function standinCredentials(deps: {
  readonly operators: Operators;
  readonly services: Readonly<Partial<Record<ServiceIdentity, readonly string[]>>>;
}): StandinCredentials {
  // Each service credential's digest, made once: every card message identifies its caller here.
  const services = (Object.entries(deps.services) as [ServiceIdentity, readonly string[]][]).flatMap(([identity, tokens]) =>
    tokens.map((token) => ({ identity, expected: digest(token) })),
  );
  return {
    whoIs(token) {
      if (!token) return undefined;
      const operator = deps.operators.identify(token);
      if (operator) return { operator };
      // All compared: the time taken does not say which identity nearly matched.
      const given = digest(token);
      let found: ServiceIdentity | undefined;
      for (const { identity, expected } of services) if (timingSafeEqual(given, expected)) found ??= identity;
      return found === undefined ? undefined : { service: found };
    },
  };
}

/** The call map's name for a credential. */
export const standinCallerOf = (credential: StandinCredential): 'operator' | ServiceIdentity => ('operator' in credential ? 'operator' : credential.service);
