import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { SERVICE_NAMES, SERVICE_SPECS } from '../src/services.js';
import { CLUSTERS } from '../src/site.js';
import { allObjects, synthesise, type KubeObject } from './synthesised.js';

// The generated manifests, read back from the YAML files, checked against the Kubernetes API's own
// OpenAPI schema (kubernetes-models' validators) object by object, then for what a bank needs of
// them: probes, replicas, disruption budgets, resources, autoscalers, and the cluster split.

/** Every kind the manifests may contain, with the schema it is checked against; any other kind fails the test. */
const SCHEMAS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

function validateAgainstSchema(object: KubeObject): void {
  const Schema = SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (Schema === undefined) throw new Error(`${object.apiVersion} ${object.kind} ${object.metadata.name}: no schema known for this kind`);
  new Schema(object as never).validate();
}

const synthesised = synthesise();
afterAll(() => synthesised.remove());

const workloads = (objects: readonly KubeObject[]) => objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet');
const everyWorkload = CLUSTERS.flatMap((cluster) => workloads(synthesised.clusters[cluster].objects).map((object) => ({ cluster, object })));
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);

describe('the synthesised manifests', () => {
  test('are written per cluster: each cluster its objects, and its Secrets apart', () => {
    expect(synthesised.files).toEqual(CLUSTERS.flatMap((cluster) => [`${cluster}-secrets.k8s.yaml`, `${cluster}.k8s.yaml`]).sort());
  });

  test('every object matches the Kubernetes API schema of its kind', () => {
    const objects = allObjects(synthesised);
    expect(objects.length).toBeGreaterThan(40);
    for (const object of objects) expect(() => validateAgainstSchema(object)).not.toThrow();
  });

  test('every name is a DNS label Kubernetes accepts for its kind (the schema does not check names)', () => {
    for (const object of allObjects(synthesised)) {
      expect(object.metadata.name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
      expect(object.metadata.name.length).toBeLessThanOrEqual(63);
    }
  });

  test('the schema check is a real one: a Deployment with replicas as text or a malformed CPU quantity is refused', () => {
    const deployment = structuredClone(synthesised.clusters['primary-cloud'].objects.find((object) => object.kind === 'Deployment')!);
    expect(() => validateAgainstSchema({ ...deployment, spec: { ...deployment.spec, replicas: 'two' } })).toThrow(/replicas must be integer/);
    deployment.spec.template.spec.containers[0].resources.requests.cpu = 'half a core';
    expect(() => validateAgainstSchema(deployment)).toThrow(/quantity/);
  });

  test('each service runs in its cluster: primary and the advice consumer in primary cloud, stand-in and the syncer in stand-in cloud, the gateway in the data centre', () => {
    const names = (cluster: (typeof CLUSTERS)[number]) =>
      workloads(synthesised.clusters[cluster].objects)
        .map((object) => object.metadata.name)
        .sort();
    expect(names('primary-cloud')).toEqual(['advice-consumer', 'primary']);
    expect(names('standin-cloud')).toEqual(['standin', 'syncer']);
    expect(names('data-centre')).toEqual(['gateway']);
  });

  test("keysets stay apart: nothing in primary's cloud reads stand-in's private card keys, nothing in stand-in's reads keyset A", () => {
    const text = (cluster: (typeof CLUSTERS)[number]) => JSON.stringify([...synthesised.clusters[cluster].objects, ...synthesised.clusters[cluster].secrets]);
    for (const key of ['STANDIN_PAN_PRIVATE_KEY_B', 'STANDIN_PAN_SEAL_KEY', 'STANDIN_PAN_LOOKUP_KEY']) expect(text('primary-cloud')).not.toContain(key);
    for (const key of ['PRIMARY_PAN_KEY_A', 'PRIMARY_PAN_INDEX_KEY']) expect(text('standin-cloud')).not.toContain(key);
    expect(text('data-centre')).not.toMatch(/PRIMARY_PAN_KEY_A|STANDIN_PAN_PRIVATE_KEY_B/);
  });

  test.each(everyWorkload.map(({ cluster, object }) => [object.metadata.name, cluster, object] as const))(
    '%s (%s): readiness on /health/ready and liveness on /health/live, at its port',
    (name, _cluster, object) => {
      const container = object.spec.template.spec.containers.find((candidate: { name: string }) => candidate.name === name);
      const port = container.ports.find((candidate: { name: string }) => candidate.name === 'http').containerPort;
      expect(port).toBe(SERVICE_SPECS[name as keyof typeof SERVICE_SPECS].port);
      expect(container.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    },
  );

  test.each(everyWorkload.map(({ cluster, object }) => [object.metadata.name, cluster, object] as const))(
    '%s (%s): at least two replicas, a disruption budget that selects its pods, resource requests and limits',
    (name, cluster, object) => {
      const objects = synthesised.clusters[cluster].objects;
      const autoscaler = objects.find((candidate) => candidate.kind === 'HorizontalPodAutoscaler' && candidate.spec.scaleTargetRef.name === name);
      // With an autoscaler the replicas are its to set (minReplicas); without, the workload's.
      const replicas = autoscaler === undefined ? object.spec.replicas : autoscaler.spec.minReplicas;
      expect(replicas).toBeGreaterThanOrEqual(2);
      if (autoscaler !== undefined) expect(object.spec.replicas).toBeUndefined();
      const podLabels = object.spec.template.metadata.labels;
      const budgets = objects.filter((candidate) => candidate.kind === 'PodDisruptionBudget' && matches(candidate.spec.selector.matchLabels, podLabels));
      expect(budgets).toHaveLength(1);
      expect(budgets[0]!.spec.maxUnavailable).toBe(1);
      for (const container of [...object.spec.template.spec.containers, ...(object.spec.template.spec.initContainers ?? [])]) {
        expect(container.resources.requests).toEqual({ cpu: expect.stringMatching(/^\d+m$/), memory: expect.stringMatching(/^\d+Mi$/) });
        expect(container.resources.limits).toEqual({ cpu: expect.stringMatching(/^\d+m$/), memory: expect.stringMatching(/^\d+Mi$/) });
      }
      // Which benchmark figure sized it is written beside it.
      expect(object.spec.template.metadata.annotations['bank.example/sized-from']).toMatch(/primary-auth|standin-auth|advice-drain|failover/);
    },
  );

  test('each pod runs as a user that is not root, read-only, with no capability and no service-account token', () => {
    for (const { object } of everyWorkload) {
      const pod = object.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])])
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
    }
  });

  test('autoscalers where load scales (primary, stand-in, the gateway), each on an existing workload; none on the syncer or the advice consumer', () => {
    const autoscalers = CLUSTERS.flatMap((cluster) =>
      synthesised.clusters[cluster].objects.filter((object) => object.kind === 'HorizontalPodAutoscaler').map((object) => ({ cluster, object })),
    );
    expect(autoscalers.map(({ object }) => object.spec.scaleTargetRef.name).sort()).toEqual(['gateway', 'primary', 'standin']);
    for (const { cluster, object } of autoscalers) {
      const target = workloads(synthesised.clusters[cluster].objects).find((candidate) => candidate.metadata.name === object.spec.scaleTargetRef.name);
      expect(target?.kind).toBe(object.spec.scaleTargetRef.kind);
      expect(object.spec.maxReplicas).toBeGreaterThan(object.spec.minReplicas);
    }
    // The gateway's replicas own reversals on their volumes: the autoscaler never removes one.
    expect(autoscalers.find(({ object }) => object.metadata.name === 'gateway')?.object.spec.behavior.scaleDown.selectPolicy).toBe('Disabled');
  });

  test('the gateway keeps a volume per replica for its owed reversals, where GATEWAY_DATA_DIR points', () => {
    const gateway = synthesised.clusters['data-centre'].objects.find((object) => object.kind === 'StatefulSet' && object.metadata.name === 'gateway')!;
    const settings = synthesised.clusters['data-centre'].objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'gateway-settings')!;
    expect(gateway.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    expect(gateway.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: settings.data.GATEWAY_DATA_DIR });
  });

  test('the platforms migrate their schema before they start, with only the database URL', () => {
    for (const [cluster, name, command] of [
      ['primary-cloud', 'primary', 'primary/dist/migrate.js'],
      ['standin-cloud', 'standin', 'standin/dist/upgrade.js'],
    ] as const) {
      const workload = synthesised.clusters[cluster].objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name)!;
      const [migrate] = workload.spec.template.spec.initContainers;
      expect(migrate.command).toEqual(['node', command]);
      expect(migrate.image).toBe(workload.spec.template.spec.containers[0].image);
      expect(migrate.env.map((variable: { name: string }) => variable.name)).toEqual([`${name.toUpperCase()}_DATABASE_URL`]);
    }
  });

  test('every service of the catalogue is deployed, with its image from the Dockerfile target of its name', () => {
    const deployed = everyWorkload.map(({ object }) => object.metadata.name).sort();
    expect(deployed).toEqual([...SERVICE_NAMES].sort());
    for (const { object } of everyWorkload) expect(object.spec.template.spec.containers[0].image).toMatch(new RegExp(`/${object.metadata.name}:[^/]+$`));
  });
});
