import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { deploymentApp } from '../src/manifests.js';
import { CLUSTERS, DEFAULT_SITE_SETTINGS, type Cluster } from '../src/site.js';

// The manifests as `npm run deploy:manifests` writes them, read back from the YAML files: the tests
// look at what would be applied, not at the objects in memory that produced it.

/** A Kubernetes object as read from YAML; its shape is checked against the API schema by the tests. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read from YAML: each test checks the fields it reads
  [field: string]: any;
}

export interface Synthesised {
  readonly directory: string;
  readonly files: readonly string[];
  /** Per cluster: the objects of its main chart and of its Secrets' chart. */
  readonly clusters: Readonly<Record<Cluster, { readonly objects: readonly KubeObject[]; readonly secrets: readonly KubeObject[] }>>;
}

function readYaml(file: string): KubeObject[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((error) => error.message).join('; ')}`);
    return document.toJS() as KubeObject;
  });
}

/** Synthesises the default site's manifests into a temporary directory (removed by `remove`). */
export function synthesise(): Synthesised & { remove(): void } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bank-manifests-'));
  deploymentApp(DEFAULT_SITE_SETTINGS, directory).synth();
  const read = (cluster: Cluster) => ({
    objects: readYaml(path.join(directory, `${cluster}.k8s.yaml`)),
    secrets: readYaml(path.join(directory, `${cluster}-secrets.k8s.yaml`)),
  });
  return {
    directory,
    files: fs.readdirSync(directory).sort(),
    clusters: { 'primary-cloud': read('primary-cloud'), 'standin-cloud': read('standin-cloud'), 'data-centre': read('data-centre') },
    remove: () => fs.rmSync(directory, { recursive: true, force: true }),
  };
}

export const allObjects = (synthesised: Synthesised): KubeObject[] =>
  CLUSTERS.flatMap((cluster) => [...synthesised.clusters[cluster].objects, ...synthesised.clusters[cluster].secrets]);
