import type { ServiceIdentity } from '@bank/shared-contracts';
import type { Cluster, ManagedService, SiteSettings } from './site.js';

// Each service as it is deployed: where it runs, how many, how big, and what it is given. Which
// cluster each service runs in follows DESIGN.md ("each platform as its own cloud ... Kafka on
// primary's side, Pub/Sub on stand-in's, the gateway in the data centre") and the README's three
// hosts (--topology hosts), which this deployment is the production form of:
// - primary's cloud: primary and the advice consumer (it applies advices to primary, next to it);
// - stand-in's cloud: stand-in and the syncer. The syncer writes stand-in's database and holds
//   stand-in's card keys (keyset B's private half): in primary's cloud it would put keyset B
//   beside keyset A, and a fault there would stop stand-in's sync;
// - the data centre: the gateway.

export const SERVICE_NAMES = ['primary', 'advice-consumer', 'standin', 'syncer', 'gateway'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** CPU in millicores, memory in MiB. */
export interface Resources {
  readonly requests: { readonly cpuMillis: number; readonly memoryMiB: number };
  readonly limits: { readonly cpuMillis: number; readonly memoryMiB: number };
  /** Which benchmark figure sized it (written into the manifest as an annotation too). */
  readonly sizedFrom: string;
}

/** Where a setting's value comes from: a Secret's key (see secrets.ts) or a plain value (the service's ConfigMap). */
export type SettingSource = { readonly secret: string; readonly key: string; readonly optional?: boolean } | { readonly value: string };

export interface ServiceSpec {
  readonly name: ServiceName;
  readonly cluster: Cluster;
  /** The Dockerfile target its image is built from. */
  readonly imageTarget: string;
  readonly port: number;
  /** A Deployment, or a StatefulSet when each replica keeps state of its own on disk (the gateway's owed reversals). */
  readonly workload: 'Deployment' | 'StatefulSet';
  readonly replicas: number;
  /** Scaled on CPU between `replicas` and this, where load scales; absent where it does not. */
  readonly autoscaling?: { readonly maxReplicas: number; readonly cpuUtilisationPercent: number; readonly scaleDown: boolean; readonly why: string };
  readonly resources: Resources;
  /** The identity it presents to the services it calls, if it calls any. */
  readonly identity?: ServiceIdentity;
  /** Run before the service starts, to bring its database schema up to date (serialised by an advisory lock in the database). */
  readonly migration?: { readonly command: readonly string[]; readonly settings: readonly string[] };
  /** Managed services it connects to (egress). */
  readonly uses: readonly ManagedService[];
  /** Whether it authenticates to Google Cloud (Pub/Sub) with Application Default Credentials from a mounted file. */
  readonly googleCredentials: boolean;
  /** Its environment: every setting it is given, by name. */
  readonly settings: (site: SiteSettings) => Readonly<Record<string, SettingSource>>;
  /** The gateway's data directory: a volume per replica. */
  readonly dataVolume?: { readonly mountPath: string; readonly sizeGiB: number };
}

/**
 * Memory: no benchmark measures it, so every service gets the same 256 MiB request and 512 MiB
 * limit, with Node's heap capped below the limit (NODE_OPTIONS) so it collects before the kernel kills.
 */
const MEMORY = { requestMiB: 256, limitMiB: 512, heapMiB: 384 } as const;
export const NODE_OPTIONS = `--max-old-space-size=${MEMORY.heapMiB}`;

/** One Node process uses one core at most for its JavaScript: a limit above 1 core buys nothing but garbage collection threads. */
const NODE_CPU_LIMIT_MILLIS = 1_000;

const common = (port: number): Record<string, SettingSource> => ({
  HOST: { value: '0.0.0.0' },
  PORT: { value: String(port) },
  LOG_LEVEL: { value: 'info' },
  NODE_OPTIONS: { value: NODE_OPTIONS },
  // The only accepted non-local mode, said outright (unset means the same).
  BANK_MODE: { value: 'production' },
});

/** APP_ORIGINS for the two platforms the browser app calls, when the site names its origins (unset: no CORS). */
const appOrigins = (site: SiteSettings): Record<string, SettingSource> =>
  site.appOrigins.length > 0 ? { APP_ORIGINS: { value: site.appOrigins.join(',') } } : {};

export const SERVICE_SPECS: Readonly<Record<ServiceName, ServiceSpec>> = {
  primary: {
    name: 'primary',
    cluster: 'primary-cloud',
    imageTarget: 'primary',
    port: 8100,
    workload: 'Deployment',
    replicas: 2,
    autoscaling: {
      maxReplicas: 6,
      cpuUtilisationPercent: 70,
      scaleDown: true,
      // primary-replicas: two replicas on one database gave 1.32 times one; past a few the database is the bound
      // (card_authorise alone reached 0.434 of pgbench -N), and each replica holds up to 18 connections.
      why: 'card traffic; bounded by primary PostgreSQL (primary-replicas: two/one 1.32)',
    },
    resources: {
      // primary-auth, alone on the machine: 1,328.6 authorisations/s at 0.376 ms of Node CPU each = 0.50 core.
      requests: { cpuMillis: 500, memoryMiB: MEMORY.requestMiB },
      limits: { cpuMillis: NODE_CPU_LIMIT_MILLIS, memoryMiB: MEMORY.limitMiB },
      sizedFrom: 'primary-auth: 1,328.6/s x 0.376 ms Node CPU per authorisation = 0.50 core',
    },
    identity: 'primary',
    migration: { command: ['node', 'primary/dist/migrate.js'], settings: ['PRIMARY_DATABASE_URL'] },
    uses: ['primary-postgres', 'primary-redis', 'kafka', 'faster-payments-scheme'],
    googleCredentials: false,
    settings: (site) => ({
      ...common(8100),
      KAFKA_BROKERS: { value: site.kafkaBrokers },
      STANDIN_URL: { value: site.urls.standin },
      FASTER_PAYMENTS_SCHEME_URL: { value: site.urls.fasterPaymentsScheme },
      PRIMARY_PAN_KEY_A_ID: { value: site.panKeyIds.primaryA },
      STANDIN_PAN_KEY_B_ID: { value: site.panKeyIds.standinB },
      PRIMARY_DATABASE_URL: { secret: 'primary-datastores', key: 'PRIMARY_DATABASE_URL' },
      PRIMARY_REDIS_URL: { secret: 'primary-datastores', key: 'PRIMARY_REDIS_URL' },
      PRIMARY_PAN_KEY_A: { secret: 'primary-card-keys', key: 'PRIMARY_PAN_KEY_A' },
      PRIMARY_PAN_INDEX_KEY: { secret: 'primary-card-keys', key: 'PRIMARY_PAN_INDEX_KEY' },
      STANDIN_PAN_PUBLIC_KEY_B: { secret: 'primary-card-keys', key: 'STANDIN_PAN_PUBLIC_KEY_B' },
      OPERATOR_TOKENS: { secret: 'primary-credentials', key: 'OPERATOR_TOKENS' },
      ...appOrigins(site),
    }),
  },
  'advice-consumer': {
    name: 'advice-consumer',
    cluster: 'primary-cloud',
    imageTarget: 'advice-consumer',
    port: 8400,
    workload: 'Deployment',
    // Two so a node's loss does not stop advices; primary applies each account's advices by sequence
    // and deduplicates by id, so two consumers never apply one twice (README, replicas table).
    replicas: 2,
    resources: {
      // advice-drain: 852 advices/s (100,000), primary and its PostgreSQL 0.83 ms CPU per advice; the consumer only relays them.
      requests: { cpuMillis: 250, memoryMiB: MEMORY.requestMiB },
      limits: { cpuMillis: NODE_CPU_LIMIT_MILLIS, memoryMiB: MEMORY.limitMiB },
      sizedFrom: 'advice-drain: 852 advices/s; the consumer relays, primary (0.83 ms per advice with its database) applies',
    },
    identity: 'advice-consumer',
    uses: ['google-pubsub'],
    googleCredentials: true,
    settings: (site) => ({
      ...common(8400),
      // Primary is beside it, in the same cluster: its Service, not the cross-cloud address.
      PRIMARY_URL: { value: `http://primary.${site.namespace}.svc.cluster.local:8100` },
      STANDIN_URL: { value: site.urls.standin },
      PUBSUB_PROJECT_ID: { value: site.pubsubProjectId },
      OPERATOR_TOKENS: { secret: 'advice-consumer-credentials', key: 'OPERATOR_TOKENS' },
    }),
  },
  standin: {
    name: 'standin',
    cluster: 'standin-cloud',
    imageTarget: 'standin',
    port: 8200,
    workload: 'Deployment',
    replicas: 2,
    autoscaling: {
      maxReplicas: 8,
      cpuUtilisationPercent: 70,
      scaleDown: true,
      // Before an incident engineers prescale (standin prescale); the autoscaler follows the traffic after.
      why: 'card traffic when stand-in takes over',
    },
    resources: {
      // failover: stand-in's own saturation in standin-auth that hour was 954/s (twice the 477/s half rate); its CPU per authorisation is not broken out, so primary's 0.376 ms is taken: 0.36 core.
      requests: { cpuMillis: 500, memoryMiB: MEMORY.requestMiB },
      limits: { cpuMillis: NODE_CPU_LIMIT_MILLIS, memoryMiB: MEMORY.limitMiB },
      sizedFrom: "standin-auth: saturation 954/s (failover's half rate 477/s) x primary's 0.376 ms per authorisation = 0.36 core",
    },
    identity: 'standin',
    migration: { command: ['node', 'standin/dist/upgrade.js'], settings: ['STANDIN_DATABASE_URL'] },
    uses: ['standin-postgres', 'google-pubsub', 'faster-payments-scheme'],
    googleCredentials: true,
    settings: (site) => ({
      ...common(8200),
      PRIMARY_URL: { value: site.urls.primary },
      GATEWAY_URL: { value: site.urls.gateway },
      FASTER_PAYMENTS_SCHEME_URL: { value: site.urls.fasterPaymentsScheme },
      PUBSUB_PROJECT_ID: { value: site.pubsubProjectId },
      STANDIN_PAN_KEY_B_ID: { value: site.panKeyIds.standinB },
      STANDIN_DATABASE_URL: { secret: 'standin-datastores', key: 'STANDIN_DATABASE_URL' },
      STANDIN_PAN_PRIVATE_KEY_B: { secret: 'standin-card-keys', key: 'STANDIN_PAN_PRIVATE_KEY_B' },
      STANDIN_PAN_SEAL_KEY: { secret: 'standin-card-keys', key: 'STANDIN_PAN_SEAL_KEY' },
      STANDIN_PAN_LOOKUP_KEY: { secret: 'standin-card-keys', key: 'STANDIN_PAN_LOOKUP_KEY' },
      OPERATOR_TOKENS: { secret: 'standin-credentials', key: 'OPERATOR_TOKENS' },
      ...appOrigins(site),
    }),
  },
  syncer: {
    name: 'syncer',
    cluster: 'standin-cloud',
    imageTarget: 'syncer',
    port: 8300,
    workload: 'Deployment',
    // One consumer group: Kafka gives each of primary.events' 6 partitions to one syncer, and the
    // second takes them over when the first goes; more than 6 would idle. No autoscaler: lag, not CPU, says when to add one.
    replicas: 2,
    resources: {
      // advice-drain: the sync back (syncer, Kafka, stand-in's PostgreSQL) took 0.88 ms CPU per advice at 852/s = 0.75 core for the three.
      requests: { cpuMillis: 250, memoryMiB: MEMORY.requestMiB },
      limits: { cpuMillis: NODE_CPU_LIMIT_MILLIS, memoryMiB: MEMORY.limitMiB },
      sizedFrom: "advice-drain: sync back 0.88 ms CPU per advice at 852/s = 0.75 core for syncer, Kafka and stand-in's PostgreSQL together",
    },
    uses: ['standin-postgres', 'kafka'],
    googleCredentials: false,
    settings: (site) => ({
      ...common(8300),
      KAFKA_BROKERS: { value: site.kafkaBrokers },
      STANDIN_PAN_KEY_B_ID: { value: site.panKeyIds.standinB },
      STANDIN_DATABASE_URL: { secret: 'standin-datastores', key: 'STANDIN_DATABASE_URL' },
      STANDIN_PAN_PRIVATE_KEY_B: { secret: 'standin-card-keys', key: 'STANDIN_PAN_PRIVATE_KEY_B' },
      STANDIN_PAN_SEAL_KEY: { secret: 'standin-card-keys', key: 'STANDIN_PAN_SEAL_KEY' },
      STANDIN_PAN_LOOKUP_KEY: { secret: 'standin-card-keys', key: 'STANDIN_PAN_LOOKUP_KEY' },
    }),
  },
  gateway: {
    name: 'gateway',
    cluster: 'data-centre',
    imageTarget: 'gateway',
    port: 8500,
    // Each replica owes its own timeout reversals, kept on its own disk (GATEWAY_DATA_DIR): a
    // StatefulSet gives each one its volume back after a restart.
    workload: 'StatefulSet',
    replicas: 2,
    autoscaling: {
      maxReplicas: 6,
      cpuUtilisationPercent: 70,
      // A replica scaled away leaves its owed reversals on its volume until it comes back, so the
      // autoscaler only adds replicas; an engineer removes one once its reversals are delivered.
      scaleDown: false,
      why: "payment networks' traffic",
    },
    resources: {
      // failover: 200/s and 477/s through the gateway; no benchmark isolates its CPU: one HTTP hop costs about the load generator's 0.12 ms per message (primary-auth) = 0.06 core at 477/s.
      requests: { cpuMillis: 250, memoryMiB: MEMORY.requestMiB },
      limits: { cpuMillis: NODE_CPU_LIMIT_MILLIS, memoryMiB: MEMORY.limitMiB },
      sizedFrom: "failover: 477/s through the gateway x 0.12 ms per HTTP message (primary-auth's load generator) = 0.06 core, with room for the reversal store",
    },
    identity: 'gateway',
    uses: [],
    googleCredentials: false,
    dataVolume: { mountPath: '/var/lib/bank/gateway', sizeGiB: 1 },
    settings: (site) => ({
      ...common(8500),
      PRIMARY_URL: { value: site.urls.primary },
      STANDIN_URL: { value: site.urls.standin },
      GATEWAY_DATA_DIR: { value: '/var/lib/bank/gateway' },
      // Off unless an engineer decides otherwise: the README's failover section.
      GATEWAY_AUTO_FAILOVER: { value: 'off' },
      GATEWAY_PAN_SEAL_KEY: { secret: 'gateway-card-keys', key: 'GATEWAY_PAN_SEAL_KEY' },
    }),
  },
};

/** The services that run in a cluster. */
export function servicesIn(cluster: Cluster): ServiceSpec[] {
  return SERVICE_NAMES.map((name) => SERVICE_SPECS[name]).filter((spec) => spec.cluster === cluster);
}
