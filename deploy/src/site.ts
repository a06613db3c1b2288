import fs from 'node:fs';
import { isIP } from 'node:net';

// What differs from one bank's installation to another's: where the images are, the addresses the
// clouds and outside parties use, and the managed services' endpoints. Nothing secret lives here
// (credentials and database URLs are Secrets). The defaults are placeholders from the private and
// documentation address ranges: a real installation gives its own with `--settings <file.json>`.

/** The three places the bank runs in, each its own Kubernetes cluster (see placement.ts). */
export const CLUSTERS = ['primary-cloud', 'standin-cloud', 'data-centre'] as const;
export type Cluster = (typeof CLUSTERS)[number];

/** Callers outside the bank's clusters, known to the network only by their addresses. */
export const OUTSIDE_PARTIES = ['payment-networks', 'card-manufacturer', 'onboarding'] as const;
export type OutsideParty = (typeof OUTSIDE_PARTIES)[number];

/** A managed service outside the clusters: where it is and its port. */
export interface ManagedEndpoint {
  readonly cidrs: readonly string[];
  readonly port: number;
}

export interface SiteSettings {
  /** Images are `<imageRepository>/<target>:<imageTag>` (the Dockerfile's targets). */
  readonly imageRepository: string;
  readonly imageTag: string;
  /** The namespace every service runs in, in every cluster. */
  readonly namespace: string;
  /** Where the cluster's ingress controller runs (customers and operators arrive through it) and its monitoring (Prometheus scrapes /metrics). */
  readonly ingressNamespace: string;
  readonly monitoringNamespace: string;
  /** Each cluster's addresses: `egressCidrs` its pods' traffic leaves from (NAT), `serviceCidrs` its internal load balancers' addresses. */
  readonly clusters: Readonly<Record<Cluster, { readonly egressCidrs: readonly string[]; readonly serviceCidrs: readonly string[] }>>;
  readonly outsideParties: Readonly<Record<OutsideParty, readonly string[]>>;
  /** Each platform's API as the other clouds reach it (its internal load balancer). */
  readonly urls: { readonly primary: string; readonly standin: string; readonly gateway: string; readonly fasterPaymentsScheme: string };
  /** Kafka's bootstrap servers (comma-separated host:port): any Kafka-compatible managed cluster, in primary's cloud. */
  readonly kafkaBrokers: string;
  /** The Google Cloud project holding the Pub/Sub topic `standin.advices` and its subscriptions. */
  readonly pubsubProjectId: string;
  /**
   * The card keys' identifiers: primary encrypts for keyset B under `standinB`, and stand-in and the
   * syncer refuse a card number encrypted for any other, so all three must be given the same one.
   */
  readonly panKeyIds: { readonly primaryA: string; readonly standinB: string };
  readonly managed: Readonly<Record<ManagedService, ManagedEndpoint>>;
  /**
   * The browser app's origins (scheme://host[:port]), given to primary and stand-in as APP_ORIGINS:
   * the app calls both platforms' customer APIs from the page, and each answers it with CORS
   * headers. None by default: then neither platform gives any CORS header.
   */
  readonly appOrigins: readonly string[];
}

/** The managed services the platforms use, one PostgreSQL cluster per platform. */
export const MANAGED_SERVICES = ['primary-postgres', 'primary-redis', 'kafka', 'standin-postgres', 'google-pubsub', 'faster-payments-scheme'] as const;
export type ManagedService = (typeof MANAGED_SERVICES)[number];

export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  imageRepository: 'registry.bank.example/bank',
  imageTag: '0.1.0',
  namespace: 'bank',
  ingressNamespace: 'ingress-nginx',
  monitoringNamespace: 'monitoring',
  clusters: {
    'primary-cloud': { egressCidrs: ['10.10.0.0/16'], serviceCidrs: ['10.11.0.0/24'] },
    'standin-cloud': { egressCidrs: ['10.20.0.0/16'], serviceCidrs: ['10.21.0.0/24'] },
    'data-centre': { egressCidrs: ['10.30.0.0/16'], serviceCidrs: ['10.31.0.0/24'] },
  },
  outsideParties: {
    'payment-networks': ['192.0.2.0/24'],
    'card-manufacturer': ['198.51.100.0/24'],
    onboarding: ['203.0.113.0/24'],
  },
  urls: {
    primary: 'http://primary.primary-cloud.bank.internal:8100',
    standin: 'http://standin.standin-cloud.bank.internal:8200',
    // The data centre's gateway as stand-in's autopilot reaches it (GET /primary-view).
    gateway: 'http://gateway.data-centre.bank.internal:8500',
    fasterPaymentsScheme: 'https://fps.scheme.example/faster-payments',
  },
  kafkaBrokers: 'kafka-0.primary-cloud.bank.internal:9092,kafka-1.primary-cloud.bank.internal:9092,kafka-2.primary-cloud.bank.internal:9092',
  pubsubProjectId: 'bank-standin-advices',
  panKeyIds: { primaryA: 'A-1', standinB: 'B-1' },
  managed: {
    'primary-postgres': { cidrs: ['10.12.0.0/24'], port: 5432 },
    'primary-redis': { cidrs: ['10.12.1.0/24'], port: 6379 },
    kafka: { cidrs: ['10.12.2.0/24'], port: 9092 },
    'standin-postgres': { cidrs: ['10.22.0.0/24'], port: 5432 },
    // Private Google Access (private.googleapis.com): Pub/Sub without the public internet.
    'google-pubsub': { cidrs: ['199.36.153.8/30'], port: 443 },
    'faster-payments-scheme': { cidrs: ['192.0.2.128/25'], port: 443 },
  },
  appOrigins: [],
};

/** The defaults with a site's own settings over them (a JSON file of the same shape; any part may be left out). */
export function siteSettingsFrom(file: string | undefined): SiteSettings {
  if (file === undefined) return DEFAULT_SITE_SETTINGS;
  const given = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SiteSettings>;
  const site = mergeSettings(DEFAULT_SITE_SETTINGS, given);
  checkAddresses(site);
  checkAppOrigins(site);
  return site;
}

/** An IPv4 or IPv6 CIDR block: the Kubernetes schema takes any text in an ipBlock, the network plugin would not. */
export function isCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const family = isIP(address);
  return family !== 0 && rest.length === 0 && prefix !== undefined && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Every address range in the settings, named by where it is, so a typo stops the synthesis rather than a policy admitting nothing. */
function checkAddresses(site: SiteSettings): void {
  const ranges: [string, readonly string[]][] = [
    ...Object.entries(site.clusters).flatMap(([cluster, places]): [string, readonly string[]][] => [
      [`clusters.${cluster}.egressCidrs`, places.egressCidrs],
      [`clusters.${cluster}.serviceCidrs`, places.serviceCidrs],
    ]),
    ...Object.entries(site.outsideParties).map(([party, cidrs]): [string, readonly string[]] => [`outsideParties.${party}`, cidrs]),
    ...Object.entries(site.managed).map(([service, endpoint]): [string, readonly string[]] => [`managed.${service}.cidrs`, endpoint.cidrs]),
  ];
  const wrong = ranges.flatMap(([where, cidrs]) =>
    cidrs.length === 0 ? [`${where} is empty`] : cidrs.filter((cidr) => !isCidr(cidr)).map((cidr) => `${where}: ${cidr} is not a CIDR block`),
  );
  if (wrong.length > 0) throw new Error(`the site settings are not usable: ${wrong.join('; ')}`);
}

/** Each app origin exactly as a browser sends it: the platforms refuse to start on anything else, so synthesis refuses it first. */
function checkAppOrigins(site: SiteSettings): void {
  const wrong = site.appOrigins.filter((origin) => {
    try {
      const url = new URL(origin);
      return (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin;
    } catch {
      return true;
    }
  });
  if (wrong.length > 0)
    throw new Error(`the site settings are not usable: appOrigins: ${wrong.join(', ')} is not an origin (scheme://host[:port], no path, no wildcard)`);
}

function mergeSettings<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (Array.isArray(base) || typeof base !== 'object' || base === null) return over as T;
  if (typeof over !== 'object' || over === null || Array.isArray(over))
    throw new Error(`a settings file gives ${JSON.stringify(over)} where an object is expected`);
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) merged[key] = mergeSettings((base as Record<string, unknown>)[key], value);
  return merged as T;
}
