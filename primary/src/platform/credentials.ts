import type { ServiceIdentity } from '@bank/shared-contracts';
import { operatorFor, type Operator } from '../configuration/operators';
import { tokensEqual } from './http';

// Who a bearer token is, among the callers primary knows by credential: a named operator
// (OPERATOR_TOKENS) or a service identity (GATEWAY_TOKEN, ADVICE_CONSUMER_TOKEN, ...; each may
// have a second, `_NEXT`, during a rotation). Customers' tokens are the accounts service's.

export type KnownCredential = { readonly kind: 'operator'; readonly name: string } | { readonly kind: 'service'; readonly identity: ServiceIdentity };

export interface PrimaryCredentials {
  identify(token: string | undefined): KnownCredential | undefined;
}

export function primaryCredentials(deps: {
  readonly operators: readonly Operator[];
  readonly services: Readonly<Partial<Record<ServiceIdentity, readonly string[]>>>;
}): PrimaryCredentials {
  const services = Object.entries(deps.services) as [ServiceIdentity, readonly string[]][];
  return {
    identify(token) {
      if (!token) return undefined;
      const operator = operatorFor(deps.operators, token);
      if (operator) return { kind: 'operator', name: operator };
      // Every credential is compared, so the time taken does not say which identity nearly matched.
      let found: ServiceIdentity | undefined;
      for (const [identity, tokens] of services) for (const expected of tokens) if (tokensEqual(token, expected) && found === undefined) found = identity;
      return found === undefined ? undefined : { kind: 'service', identity: found };
    },
  };
}

/** The call map's name for a credential: `operator`, or the service identity. */
export const callerOf = (credential: KnownCredential): 'operator' | ServiceIdentity => (credential.kind === 'operator' ? 'operator' : credential.identity);
