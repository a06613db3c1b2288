import { PRIMARY_CALL_MAP } from '@bank/primary/dist/platform/call-map.js';
import { STANDIN_CALL_MAP } from '@bank/standin/dist/app/call-map.js';
import { GATEWAY_CALL_MAP } from '@bank/gateway/dist/call-map.js';
import { CALLER_LABEL, ingressPolicies } from '../src/network-policies.js';
import { labelsOf } from '../src/labels.js';
import { SERVICE_SPECS } from '../src/services.js';
import { CLUSTERS, DEFAULT_SITE_SETTINGS, type Cluster } from '../src/site.js';
import { synthesise, type KubeObject } from './synthesised.js';

// The network policies, read back from the YAML, against the call maps the services enforce
// (imported here straight from their workspaces, not through deploy's own list): each service admits
// exactly the callers its call map names, each from where it runs, and nothing else.

const synthesised = synthesise();
afterAll(() => synthesised.remove());

const site = DEFAULT_SITE_SETTINGS;
const policiesIn = (cluster: Cluster) => synthesised.clusters[cluster].objects.filter((object) => object.kind === 'NetworkPolicy');
const callersOf = (callMap: Readonly<Record<string, readonly string[]>>) => [...new Set(Object.values(callMap).flat())].sort();

/** The policies admitting traffic into a service's pods, by the caller each is for. */
function ingressPoliciesFor(service: keyof typeof SERVICE_SPECS): Map<string, KubeObject> {
  const spec = SERVICE_SPECS[service];
  const policies = policiesIn(spec.cluster).filter(
    (policy) => policy.spec.policyTypes.includes('Ingress') && policy.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === service,
  );
  return new Map(policies.map((policy) => [policy.metadata.labels![CALLER_LABEL]!, policy]));
}

describe('network policies from the call maps', () => {
  test.each([
    ['primary', PRIMARY_CALL_MAP],
    ['standin', STANDIN_CALL_MAP],
    ['gateway', GATEWAY_CALL_MAP],
  ] as const)('%s admits exactly the callers its call map names, on its port only', (service, callMap) => {
    const policies = ingressPoliciesFor(service);
    expect([...policies.keys()].sort()).toEqual(callersOf(callMap));
    for (const policy of policies.values()) {
      expect(policy.spec.ingress).toHaveLength(1);
      expect(policy.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: SERVICE_SPECS[service].port }]);
      expect(policy.spec.ingress[0].from.length).toBeGreaterThan(0);
    }
  });

  test('each service identity is admitted from where it runs: its pods in the same cluster, its cloud or party by address elsewhere', () => {
    const from = (service: keyof typeof SERVICE_SPECS, caller: string) => ingressPoliciesFor(service).get(caller)?.spec.ingress[0].from;
    // The gateway runs in the data centre; both platforms know it by the data centre's addresses.
    expect(from('primary', 'gateway')).toEqual([{ ipBlock: { cidr: '10.30.0.0/16' } }]);
    expect(from('standin', 'gateway')).toEqual([{ ipBlock: { cidr: '10.30.0.0/16' } }]);
    // Stand-in and primary call each other across clouds.
    expect(from('primary', 'standin')).toEqual([{ ipBlock: { cidr: '10.20.0.0/16' } }]);
    expect(from('standin', 'primary')).toEqual([{ ipBlock: { cidr: '10.10.0.0/16' } }]);
    // The advice consumer is beside primary (its pods) and far from stand-in (primary cloud's addresses).
    expect(from('primary', 'advice-consumer')).toEqual([{ podSelector: { matchLabels: labelsOf({ name: 'advice-consumer' }) } }]);
    expect(from('standin', 'advice-consumer')).toEqual([{ ipBlock: { cidr: '10.10.0.0/16' } }]);
    // Outside parties by their own addresses.
    expect(from('gateway', 'network')).toEqual([{ ipBlock: { cidr: site.outsideParties['payment-networks'][0] } }]);
    expect(from('primary', 'card-manufacturer')).toEqual([{ ipBlock: { cidr: site.outsideParties['card-manufacturer'][0] } }]);
    expect(from('primary', 'onboarding')).toEqual([{ ipBlock: { cidr: site.outsideParties.onboarding[0] } }]);
    // Customers and operators through the ingress controller; operations also from monitoring.
    expect(from('primary', 'customer')).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': site.ingressNamespace } } }]);
    expect(from('standin', 'anyone')).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': site.ingressNamespace } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': site.monitoringNamespace } } },
    ]);
    // The payment network is the gateway's caller only: neither platform admits it.
    expect(from('primary', 'network')).toBeUndefined();
    expect(from('standin', 'network')).toBeUndefined();
  });

  test('a caller added to a call map is admitted from where it runs, and one nobody has placed stops the synthesis', () => {
    const primary = SERVICE_SPECS.primary;
    const withSyncer = ingressPolicies(primary, site, { ...PRIMARY_CALL_MAP, 'GET /internal/something-new': ['syncer'] });
    const policy = withSyncer.find((candidate) => candidate.metadata?.name === 'primary-from-syncer');
    expect(policy?.spec?.ingress?.[0]?.from).toEqual([{ ipBlock: { cidr: site.clusters['standin-cloud'].egressCidrs[0] } }]);
    expect(() => ingressPolicies(primary, site, { ...PRIMARY_CALL_MAP, 'GET /internal/audit-export': ['auditor'] })).toThrow(
      /caller "auditor" with no known origin/,
    );
  });

  test('every namespace denies everything both ways unless a policy admits it', () => {
    for (const cluster of CLUSTERS) {
      const deny = policiesIn(cluster).find((policy) => policy.metadata.name === 'default-deny');
      expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    }
  });

  test('egress is the reverse of the call maps plus the managed services: each caller may reach what admits it', () => {
    const egress = (service: keyof typeof SERVICE_SPECS) =>
      policiesIn(SERVICE_SPECS[service].cluster).find((policy) => policy.metadata.name === `${service}-egress`)!.spec.egress as {
        to: unknown[];
        ports: { port: number }[];
      }[];
    const reaches = (service: keyof typeof SERVICE_SPECS, to: unknown, port: number) =>
      egress(service).some(
        (rule) => rule.ports.some((candidate) => candidate.port === port) && rule.to.some((peer) => JSON.stringify(peer) === JSON.stringify(to)),
      );
    // The gateway reaches both platforms' load balancers, in their clouds.
    expect(reaches('gateway', { ipBlock: { cidr: '10.11.0.0/24' } }, 8100)).toBe(true);
    expect(reaches('gateway', { ipBlock: { cidr: '10.21.0.0/24' } }, 8200)).toBe(true);
    // Stand-in's autopilot reaches the gateway's load balancer in the data centre.
    expect(reaches('standin', { ipBlock: { cidr: '10.31.0.0/24' } }, 8500)).toBe(true);
    // The advice consumer reaches primary's pods beside it and stand-in across clouds, and Pub/Sub.
    expect(reaches('advice-consumer', { podSelector: { matchLabels: labelsOf({ name: 'primary' }) } }, 8100)).toBe(true);
    expect(reaches('advice-consumer', { ipBlock: { cidr: '10.21.0.0/24' } }, 8200)).toBe(true);
    expect(reaches('advice-consumer', { ipBlock: { cidr: site.managed['google-pubsub'].cidrs[0] } }, 443)).toBe(true);
    // The syncer calls no service: its database, Kafka and DNS only.
    expect(egress('syncer')).toHaveLength(3);
    expect(reaches('syncer', { ipBlock: { cidr: site.managed.kafka.cidrs[0] } }, site.managed.kafka.port)).toBe(true);
    expect(reaches('syncer', { ipBlock: { cidr: site.managed['standin-postgres'].cidrs[0] } }, 5432)).toBe(true);
    // Primary's database is primary's: stand-in cannot reach it.
    expect(reaches('standin', { ipBlock: { cidr: site.managed['primary-postgres'].cidrs[0] } }, 5432)).toBe(false);
  });

  test("the platforms' and the gateway's load balancers admit only the addresses their network policies admit", () => {
    for (const [cluster, name, expected] of [
      ['primary-cloud', 'primary-internal', ['10.20.0.0/16', '10.30.0.0/16', ...site.outsideParties['card-manufacturer'], ...site.outsideParties.onboarding]],
      ['standin-cloud', 'standin-internal', ['10.10.0.0/16', '10.30.0.0/16']],
      // Stand-in's cloud too: its autopilot reads what the gateway sees of primary.
      ['data-centre', 'gateway-internal', ['10.20.0.0/16', ...site.outsideParties['payment-networks']]],
    ] as const) {
      const service = synthesised.clusters[cluster].objects.find((object) => object.kind === 'Service' && object.metadata.name === name)!;
      expect(service.spec.type).toBe('LoadBalancer');
      expect(service.spec.externalTrafficPolicy).toBe('Local');
      expect(service.spec.loadBalancerSourceRanges).toEqual([...expected].sort());
    }
  });
});
