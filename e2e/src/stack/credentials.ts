import { developmentCredential, SERVICE_IDENTITIES, type ServiceIdentity } from '@bank/shared-contracts';

// The credentials test stacks, chaos runs, benchmarks and the simulator present. Their stacks run
// in local mode (BANK_MODE=local), where every service derives each identity's development
// credential from shared-contracts: so these are the same values, computed the same way, and no
// service needs them in its environment. Where a harness calls a platform's scheme route itself it
// acts as the gateway, and presents the gateway's credential.

export const CREDENTIALS: Readonly<Record<ServiceIdentity, string>> = Object.fromEntries(
  SERVICE_IDENTITIES.map((identity) => [identity, developmentCredential(identity)]),
) as Record<ServiceIdentity, string>;

/** `authorization` header for an identity. */
export const bearerOf = (identity: ServiceIdentity): { authorization: string } => ({ authorization: `Bearer ${CREDENTIALS[identity]}` });
