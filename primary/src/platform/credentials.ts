import type { ServiceIdentity } from '@bank/shared-contracts';
import { timingSafeEqual } from 'node:crypto';
import type { Operator } from '../configuration/operators';
import { credentialDigest } from './http';

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
  // Every accepted credential's digest, made once: the card path identifies its caller on every
  // message, and hashing each expected credential again per call was a dozen SHA-256s a message.
  const known: { readonly digest: Buffer; readonly credential: KnownCredential }[] = [
    ...deps.operators.map((operator) => ({ digest: credentialDigest(operator.token), credential: { kind: 'operator', name: operator.name } as const })),
    ...(Object.entries(deps.services) as [ServiceIdentity, readonly string[]][]).flatMap(([identity, tokens]) =>
      tokens.map((token) => ({ digest: credentialDigest(token), credential: { kind: 'service', identity } as const })),
    ),
  ];
  return {
    identify(token) {
      if (!token) return undefined;
      const given = credentialDigest(token);
      // Every credential is compared (operators first), so the time taken does not say which nearly matched.
      let found: KnownCredential | undefined;
      for (const { digest, credential } of known) if (timingSafeEqual(given, digest) && found === undefined) found = credential;
      return found;
    },
  };
}

/** The call map's name for a credential: `operator`, or the service identity. */
export const callerOf = (credential: KnownCredential): 'operator' | ServiceIdentity => (credential.kind === 'operator' ? 'operator' : credential.identity);
