import { SERVICE_IDENTITIES, type ServiceIdentity } from '@bank/shared-contracts';

// Each service identity's credential in stand-in's tests, and the `services` a test server accepts.

export const CREDENTIALS: Readonly<Record<ServiceIdentity, string>> = Object.fromEntries(
  SERVICE_IDENTITIES.map((identity) => [identity, `standin-test-${identity}-credential`]),
) as Record<ServiceIdentity, string>;

/** Every identity, one credential each: the call map, not the server's knowledge, decides who gets where. */
export const TEST_SERVICES: Readonly<Record<ServiceIdentity, readonly string[]>> = Object.fromEntries(
  SERVICE_IDENTITIES.map((identity) => [identity, [CREDENTIALS[identity]]]),
) as unknown as Record<ServiceIdentity, readonly string[]>;
