import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clusterObjects } from '../src/manifests.js';
import { DEFAULT_SITE_SETTINGS, siteSettingsFrom } from '../src/site.js';
import { SERVICE_SPECS } from '../src/services.js';

// A site's own settings (`--settings site.json`) over the defaults: only what the file names changes,
// and a value the Kubernetes schema refuses stops the synthesis naming the object.

function settingsFile(content: unknown): { file: string; remove(): void } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bank-site-'));
  const file = path.join(directory, 'site.json');
  fs.writeFileSync(file, JSON.stringify(content));
  return { file, remove: () => fs.rmSync(directory, { recursive: true, force: true }) };
}

test("a site's settings replace the defaults they name and keep the rest", () => {
  const given = settingsFile({ imageTag: '2.0.0', clusters: { 'data-centre': { egressCidrs: ['172.16.0.0/20'] } } });
  try {
    const site = siteSettingsFrom(given.file);
    expect(site.imageTag).toBe('2.0.0');
    expect(site.clusters['data-centre']).toEqual({ egressCidrs: ['172.16.0.0/20'], serviceCidrs: DEFAULT_SITE_SETTINGS.clusters['data-centre'].serviceCidrs });
    expect(site.clusters['primary-cloud']).toEqual(DEFAULT_SITE_SETTINGS.clusters['primary-cloud']);
    const gatewayPolicy = clusterObjects('primary-cloud', site).find(
      (object) => (object.toJSON() as { metadata?: { name?: string } }).metadata?.name === 'primary-from-gateway',
    );
    expect(JSON.stringify(gatewayPolicy)).toContain('172.16.0.0/20');
  } finally {
    given.remove();
  }
});

test('an address that is not a CIDR block stops the synthesis, naming where it is (the Kubernetes schema would take it)', () => {
  const given = settingsFile({ clusters: { 'data-centre': { egressCidrs: ['the data centre'] } }, managed: { kafka: { cidrs: ['10.12.2.0/33'] } } });
  try {
    expect(() => siteSettingsFrom(given.file)).toThrow(
      'clusters.data-centre.egressCidrs: the data centre is not a CIDR block; managed.kafka.cidrs: 10.12.2.0/33 is not a CIDR block',
    );
  } finally {
    given.remove();
  }
});

test('a settings file of the wrong shape is refused', () => {
  const given = settingsFile({ clusters: 'all of them' });
  try {
    expect(() => siteSettingsFrom(given.file)).toThrow(/where an object is expected/);
  } finally {
    given.remove();
  }
});

test('the default settings pass the same checks (an empty settings file gives them back)', () => {
  const given = settingsFile({});
  try {
    expect(siteSettingsFrom(given.file)).toEqual(DEFAULT_SITE_SETTINGS);
  } finally {
    given.remove();
  }
});

test("the browser app's origins reach primary's and stand-in's environment only when the site names them, and a bad one stops the synthesis", () => {
  const appOriginsOf = (site: ReturnType<typeof siteSettingsFrom>) =>
    Object.fromEntries((['primary', 'standin', 'syncer', 'gateway'] as const).map((name) => [name, SERVICE_SPECS[name].settings(site).APP_ORIGINS]));
  expect(appOriginsOf(DEFAULT_SITE_SETTINGS)).toEqual({ primary: undefined, standin: undefined, syncer: undefined, gateway: undefined });
  const given = settingsFile({ appOrigins: ['https://app.bank.example', 'https://console.bank.example'] });
  const bad = settingsFile({ appOrigins: ['https://app.bank.example/', '*'] });
  try {
    const value = { value: 'https://app.bank.example,https://console.bank.example' };
    expect(appOriginsOf(siteSettingsFrom(given.file))).toEqual({ primary: value, standin: value, syncer: undefined, gateway: undefined });
    expect(() => siteSettingsFrom(bad.file)).toThrow('appOrigins: https://app.bank.example/, * is not an origin');
  } finally {
    given.remove();
    bad.remove();
  }
});
