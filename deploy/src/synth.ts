import path from 'node:path';
import { parseArgs } from 'node:util';
import { deploymentApp } from './manifests.js';
import { secretsOf } from './secrets.js';
import { CLUSTERS, siteSettingsFrom } from './site.js';

// `npm run deploy:manifests -- [--out dir] [--settings site.json]`: writes each cluster's manifests
// (`<cluster>.k8s.yaml`, and `<cluster>-secrets.k8s.yaml` with the Secrets' names and keys only),
// then lists what every Secret must hold.

const { values } = parseArgs({ options: { out: { type: 'string', default: 'deploy/manifests' }, settings: { type: 'string' } } });
const outdir = path.resolve(values.out);
const site = siteSettingsFrom(values.settings);
deploymentApp(site, outdir).synth();
console.log(`manifests written to ${outdir}: ${CLUSTERS.flatMap((cluster) => [`${cluster}.k8s.yaml`, `${cluster}-secrets.k8s.yaml`]).join(', ')}`);
console.log('Secrets to create in each cluster (values never in the repository):');
for (const cluster of CLUSTERS)
  for (const secret of secretsOf(cluster, site))
    for (const key of secret.keys) console.log(`  ${cluster}  ${secret.name}  ${key.key}: ${key.format}${key.optional ? ' (optional: rotation)' : ''}`);
