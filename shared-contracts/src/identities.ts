// Who calls whom: every service and party that calls a platform has its own credential, so a
// platform can tell the gateway from the advice consumer and refuse each what its call map does
// not allow it. The names and the variables holding the credentials are declared here, once;
// which identity may call which route is each platform's own call map.

/** Every service identity. Operators (OPERATOR_TOKENS) and customers (their app tokens) are the other callers. */
export const SERVICE_IDENTITIES = [
  /** The payment networks, sending scheme messages to the gateway. */
  'network',
  /** The data-centre gateway, forwarding the networks' messages to the platforms and reading stand-in's configuration. */
  'gateway',
  /** Primary, calling stand-in (routed payments, shadow copies, its configuration). */
  'primary',
  /** Stand-in, calling primary (its configuration). */
  'standin',
  /** The syncer (no HTTP calls today: it writes stand-in's database). */
  'syncer',
  /** The advice consumer: posts advices to primary, reads stand-in's advice log. */
  'advice-consumer',
  /** The card manufacturer: issues cards, the one caller that gets a plaintext card number back. */
  'card-manufacturer',
  /** The app's back end opening accounts (onboarding). */
  'onboarding',
] as const;

export type ServiceIdentity = (typeof SERVICE_IDENTITIES)[number];

/** The variable holding an identity's credential, as its holder presents it and as the services it calls accept it. */
export const IDENTITY_TOKEN_VARIABLES: Readonly<Record<ServiceIdentity, string>> = {
  network: 'NETWORK_TOKEN',
  gateway: 'GATEWAY_TOKEN',
  primary: 'PRIMARY_TOKEN',
  standin: 'STANDIN_TOKEN',
  syncer: 'SYNCER_TOKEN',
  'advice-consumer': 'ADVICE_CONSUMER_TOKEN',
  'card-manufacturer': 'CARD_MANUFACTURER_TOKEN',
  onboarding: 'ONBOARDING_TOKEN',
};

/**
 * During a rotation a service accepts a second credential, `<NAME>_NEXT` (e.g. GATEWAY_TOKEN_NEXT):
 * give the new one there to every service that accepts it, then to its holder as `<NAME>`, then
 * move it to `<NAME>` everywhere and drop `<NAME>_NEXT`. The holder always presents `<NAME>`.
 */
export const NEXT_CREDENTIAL_SUFFIX = '_NEXT';

/**
 * The identity's credential in local mode (BANK_MODE=local) only, e.g. `local-gateway-token`: public
 * (the README's walkthrough types it), which is why no service takes it outside local mode.
 */
export function developmentCredential(identity: ServiceIdentity): string {
  return `local-${identity}-token`;
}

/** The credentials of each identity a service accepts (one, or two during a rotation), and the one it presents as itself. */
export interface IdentityCredentials {
  readonly accepted: Readonly<Partial<Record<ServiceIdentity, readonly string[]>>>;
  /** What this service sends as its own credential (`<NAME>`), when it has an identity. */
  readonly own?: string;
}
