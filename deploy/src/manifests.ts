import type { Model } from '@kubernetes-models/base';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { networkPoliciesOf } from './network-policies.js';
import { secretsOf } from './secrets.js';
import { servicesIn } from './services.js';
import { CLUSTERS, type Cluster, type SiteSettings } from './site.js';
import { namespaceObject, secretObject, serviceObjects } from './workloads.js';

// The deployment as a cdk8s app: per cluster, one chart of everything that may be applied again
// and again (`<cluster>`), and one of the Secrets' names and keys (`<cluster>-secrets`), kept apart
// so that applying the first never touches a Secret's values.

/** Every object of a cluster's main chart, each checked against the Kubernetes API schema (throws naming the object and field). */
export function clusterObjects(cluster: Cluster, site: SiteSettings): Model<unknown>[] {
  return checked([namespaceObject(site), ...servicesIn(cluster).flatMap((spec) => serviceObjects(spec, site)), ...networkPoliciesOf(cluster, site)]);
}

export function secretObjects(cluster: Cluster, site: SiteSettings): Model<unknown>[] {
  return checked(secretsOf(cluster, site).map((declaration) => secretObject(declaration, site)));
}

function checked(objects: Model<unknown>[]): Model<unknown>[] {
  for (const object of objects) {
    try {
      object.validate();
    } catch (error) {
      const { kind, metadata } = object as unknown as { kind: string; metadata?: { name?: string } };
      throw new Error(`${kind} ${metadata?.name ?? '(unnamed)'} does not match the Kubernetes API schema: ${(error as Error).message}`);
    }
  }
  return objects;
}

function addObjects(chart: Chart, objects: Model<unknown>[]): void {
  for (const object of objects) {
    const json = object.toJSON() as { apiVersion: string; kind: string; metadata?: { name?: string } };
    new ApiObject(chart, `${json.kind}-${json.metadata?.name ?? 'unnamed'}`, json);
  }
}

/** The cdk8s app: two charts per cluster; `outdir` is where `app.synth()` writes `<chart>.k8s.yaml`. */
export function deploymentApp(site: SiteSettings, outdir: string): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  for (const cluster of CLUSTERS) {
    addObjects(new Chart(app, cluster, { disableResourceNameHashes: true }), clusterObjects(cluster, site));
    addObjects(new Chart(app, `${cluster}-secrets`, { disableResourceNameHashes: true }), secretObjects(cluster, site));
  }
  return app;
}
