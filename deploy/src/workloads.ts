import type { Model } from '@kubernetes-models/base';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1EnvVar } from 'kubernetes-models/v1/EnvVar';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { IIoK8sApiCoreV1PodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IIoK8sApiCoreV1Probe } from 'kubernetes-models/v1/Probe';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { IIoK8sApiCoreV1Volume } from 'kubernetes-models/v1/Volume';
import type { IIoK8sApiCoreV1VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { CALL_MAPS, callersIn } from './call-maps.js';
import { labelsOf } from './labels.js';
import { originsOf, peersOf } from './network-policies.js';
import { environmentOf, GOOGLE_CREDENTIALS, type SecretDeclaration } from './secrets.js';
import { SERVICE_SPECS, type ServiceSpec, type SettingSource } from './services.js';
import type { SiteSettings } from './site.js';

// A service's Kubernetes objects: its account, settings, workload, Services, disruption budget and
// autoscaler. Built on kubernetes-models' types (the Kubernetes OpenAPI schema's), so a misspelt
// field does not compile, and each object is checked against the schema when synthesised.

/** The image's user (Dockerfile: USER 1000:1000). */
const RUN_AS = 1000;
/** Every service stops within 10 s of SIGTERM (its own deadline); 5 s before it for endpoints to drop the pod. */
const PRE_STOP_SECONDS = 5;
const TERMINATION_GRACE_SECONDS = 20;

export const imageOf = (spec: ServiceSpec, site: SiteSettings) => `${site.imageRepository}/${spec.imageTarget}:${site.imageTag}`;
export const settingsMapName = (spec: ServiceSpec) => `${spec.name}-settings`;

function envVar(name: string, source: SettingSource): IIoK8sApiCoreV1EnvVar | undefined {
  if ('value' in source) return undefined;
  return { name, valueFrom: { secretKeyRef: { name: source.secret, key: source.key, optional: source.optional === true } } };
}

/** Secrets go in one by one (never their values here); plain settings come from the ConfigMap. */
function secretEnv(sources: Readonly<Record<string, SettingSource>>, only?: readonly string[]): IIoK8sApiCoreV1EnvVar[] {
  return Object.entries(sources)
    .filter(([name]) => only === undefined || only.includes(name))
    .flatMap(([name, source]) => envVar(name, source) ?? []);
}

const probe = (path: string, periodSeconds: number, failureThreshold: number): IIoK8sApiCoreV1Probe => ({
  httpGet: { path, port: 'http' },
  periodSeconds,
  timeoutSeconds: 2,
  failureThreshold,
});

const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

function podTemplate(spec: ServiceSpec, site: SiteSettings): IIoK8sApiCoreV1PodTemplateSpec {
  const environment = environmentOf(spec, site);
  const volumes: IIoK8sApiCoreV1Volume[] = [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }];
  const mounts: IIoK8sApiCoreV1VolumeMount[] = [{ name: 'tmp', mountPath: '/tmp' }];
  if (spec.googleCredentials) {
    volumes.push({ name: 'google-credentials', secret: { secretName: GOOGLE_CREDENTIALS.secretOf(spec.name), defaultMode: 0o440 } });
    mounts.push({ name: 'google-credentials', mountPath: GOOGLE_CREDENTIALS.directory, readOnly: true });
  }
  if (spec.dataVolume) mounts.push({ name: 'data', mountPath: spec.dataVolume.mountPath });
  const resources = {
    requests: { cpu: `${spec.resources.requests.cpuMillis}m`, memory: `${spec.resources.requests.memoryMiB}Mi` },
    limits: { cpu: `${spec.resources.limits.cpuMillis}m`, memory: `${spec.resources.limits.memoryMiB}Mi` },
  };
  const container: IContainer = {
    name: spec.name,
    image: imageOf(spec, site),
    ports: [{ name: 'http', containerPort: spec.port, protocol: 'TCP' }],
    envFrom: [{ configMapRef: { name: settingsMapName(spec) } }],
    env: secretEnv(environment),
    // Liveness: the process answers (restart it otherwise). Readiness: its dependencies answer (README, health table).
    livenessProbe: probe('/health/live', 10, 3),
    readinessProbe: probe('/health/ready', 5, 2),
    // Start-up may wait out an absent database or broker; liveness starts counting once it answers.
    startupProbe: probe('/health/live', 5, 60),
    lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
    resources,
    securityContext: containerSecurity,
    volumeMounts: mounts,
  };
  const migrations: IContainer[] = spec.migration
    ? [
        {
          name: 'migrate',
          image: imageOf(spec, site),
          command: [...spec.migration.command],
          env: secretEnv(environment, spec.migration.settings),
          resources,
          securityContext: containerSecurity,
        },
      ]
    : [];
  return {
    metadata: { labels: labelsOf(spec), annotations: { 'bank.example/sized-from': spec.resources.sizedFrom } },
    spec: {
      serviceAccountName: spec.name,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } },
      terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
      // Replicas in different zones where the cluster has several.
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labelsOf(spec) } },
      ],
      ...(migrations.length > 0 ? { initContainers: migrations } : {}),
      containers: [container],
      volumes,
    },
  };
}

const metadata = (spec: ServiceSpec, site: SiteSettings, name: string = spec.name) => ({ name, namespace: site.namespace, labels: labelsOf(spec) });

/** The workload: replicas are the autoscaler's where there is one (applying the manifest again must not undo its scaling). */
function workload(spec: ServiceSpec, site: SiteSettings): Deployment | StatefulSet {
  const replicas = spec.autoscaling === undefined ? { replicas: spec.replicas } : {};
  const selector = { matchLabels: labelsOf(spec) };
  if (spec.workload === 'Deployment')
    return new Deployment({
      metadata: metadata(spec, site),
      spec: {
        ...replicas,
        selector,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: podTemplate(spec, site),
      },
    });
  const volume = spec.dataVolume;
  if (volume === undefined) throw new Error(`${spec.name} is a StatefulSet without a data volume`);
  return new StatefulSet({
    metadata: metadata(spec, site),
    spec: {
      ...replicas,
      selector,
      serviceName: `${spec.name}-pods`,
      podManagementPolicy: 'Parallel',
      // A replica's owed reversals stay on its volume whatever happens to the replica.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: podTemplate(spec, site),
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: labelsOf(spec) },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${volume.sizeGiB}Gi` } } },
        },
      ],
    },
  });
}

/** Whether any caller of the service comes from another cloud or outside the clusters: then it needs a load balancer they can reach. */
function calledFromOutside(spec: ServiceSpec): boolean {
  return callersIn(CALL_MAPS[spec.name])
    .flatMap(originsOf)
    .some(
      (origin) =>
        origin.kind === 'party' || (origin.kind === 'service' && origin.service !== spec.name && SERVICE_SPECS[origin.service].cluster !== spec.cluster),
    );
}

function services(spec: ServiceSpec, site: SiteSettings): Service[] {
  const port: IServicePort = { name: 'http', port: spec.port, targetPort: 'http', protocol: 'TCP' };
  const inCluster = new Service({ metadata: metadata(spec, site), spec: { type: 'ClusterIP', selector: labelsOf(spec), ports: [port] } });
  const headless =
    spec.workload === 'StatefulSet'
      ? [new Service({ metadata: metadata(spec, site, `${spec.name}-pods`), spec: { clusterIP: 'None', selector: labelsOf(spec), ports: [port] } })]
      : [];
  if (!calledFromOutside(spec)) return [inCluster, ...headless];
  // Other clouds and outside parties reach it through an internal load balancer that keeps their
  // source address (externalTrafficPolicy: Local), so the network policies can tell them apart;
  // the load balancer itself admits only the addresses those policies admit.
  const sourceRanges = [
    ...new Set(
      callersIn(CALL_MAPS[spec.name])
        .flatMap(originsOf)
        .filter((origin) => origin.kind === 'party' || origin.kind === 'service')
        .flatMap((origin) => peersOf(origin, spec.cluster, site))
        .flatMap((peer) => (peer.ipBlock ? [peer.ipBlock.cidr] : [])),
    ),
  ].sort();
  const internal = new Service({
    metadata: {
      ...metadata(spec, site, `${spec.name}-internal`),
      annotations: {
        // Internal, not internet-facing, on each cloud that may host it.
        'networking.gke.io/load-balancer-type': 'Internal',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
        'service.beta.kubernetes.io/azure-load-balancer-internal': 'true',
      },
    },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', loadBalancerSourceRanges: sourceRanges, selector: labelsOf(spec), ports: [port] },
  });
  return [inCluster, ...headless, internal];
}

function autoscaler(spec: ServiceSpec, site: SiteSettings): HorizontalPodAutoscaler[] {
  const scaling = spec.autoscaling;
  if (scaling === undefined) return [];
  return [
    new HorizontalPodAutoscaler({
      metadata: { ...metadata(spec, site), annotations: { 'bank.example/why': scaling.why } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: spec.workload, name: spec.name },
        minReplicas: spec.replicas,
        maxReplicas: scaling.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.cpuUtilisationPercent } } }],
        behavior: scaling.scaleDown ? { scaleDown: { stabilizationWindowSeconds: 300 } } : { scaleDown: { selectPolicy: 'Disabled' } },
      },
    }),
  ];
}

/** Every object of one service. */
export function serviceObjects(spec: ServiceSpec, site: SiteSettings): Model<unknown>[] {
  const plain = Object.fromEntries(Object.entries(environmentOf(spec, site)).flatMap(([name, source]) => ('value' in source ? [[name, source.value]] : [])));
  return [
    new ServiceAccount({ metadata: metadata(spec, site), automountServiceAccountToken: false }),
    new ConfigMap({ metadata: metadata(spec, site, settingsMapName(spec)), data: plain }),
    workload(spec, site),
    ...services(spec, site),
    new PodDisruptionBudget({ metadata: metadata(spec, site), spec: { maxUnavailable: 1, selector: { matchLabels: labelsOf(spec) } } }),
    ...autoscaler(spec, site),
  ];
}

/** The namespace, held to the restricted Pod Security Standard. */
export function namespaceObject(site: SiteSettings): Namespace {
  return new Namespace({
    metadata: { name: site.namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/audit': 'restricted' } },
  });
}

/** A Secret's name and keys, never a value: each key's format and readers in annotations; the values are created in the cluster (README). */
export function secretObject(declaration: SecretDeclaration, site: SiteSettings): Secret {
  const annotations = Object.fromEntries(
    declaration.keys.map((key) => [
      `keys.bank.example/${key.key}`,
      `${key.format}; ${key.optional ? 'optional (rotation)' : 'required'}; read by ${key.readBy.join(', ')}`,
    ]),
  );
  return new Secret({ metadata: { name: declaration.name, namespace: site.namespace, annotations }, type: 'Opaque' });
}
