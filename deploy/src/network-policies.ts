import { SERVICE_IDENTITIES, type ServiceIdentity } from '@bank/shared-contracts';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { IIoK8sApiNetworkingV1NetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import { CALL_MAPS, callersIn, type CallMap } from './call-maps.js';
import { labelsOf } from './labels.js';
import { SERVICE_NAMES, SERVICE_SPECS, servicesIn, type ServiceName, type ServiceSpec } from './services.js';
import type { Cluster, OutsideParty, SiteSettings } from './site.js';

// Network policies generated from the call maps: a service's pods admit, on its port, exactly the
// callers its call map names, each from where that caller runs: a pod of the same cluster by its
// labels, another cloud or an outside party by its addresses, customers and operators through the
// cluster's ingress controller, `anyone` (health, metrics, status) from the ingress controller and
// monitoring. One policy per (service, caller), so each can be read, and tested, against its
// call-map entry. Everything else is denied both ways; egress is what the service calls (the
// reverse of the call maps) and the managed services it uses.
//
// Across clusters the network can tell only places apart, not identities: primary and the advice
// consumer both leave primary's cloud from its addresses. Each platform's call map still refuses
// an identity on a route not its own (401/403); the policies keep everything else out.

/** Where a caller's traffic comes from. */
export type Origin =
  | { readonly kind: 'service'; readonly service: ServiceName }
  | { readonly kind: 'party'; readonly party: OutsideParty }
  | { readonly kind: 'edge' }
  | { readonly kind: 'monitoring' };

/** Where each service identity runs: a service of ours, or a party outside the clusters. Exhaustive: a new identity in shared-contracts does not compile until it is placed. */
export const IDENTITY_ORIGINS: Readonly<Record<ServiceIdentity, Origin>> = {
  network: { kind: 'party', party: 'payment-networks' },
  gateway: { kind: 'service', service: 'gateway' },
  primary: { kind: 'service', service: 'primary' },
  standin: { kind: 'service', service: 'standin' },
  syncer: { kind: 'service', service: 'syncer' },
  'advice-consumer': { kind: 'service', service: 'advice-consumer' },
  'card-manufacturer': { kind: 'party', party: 'card-manufacturer' },
  onboarding: { kind: 'party', party: 'onboarding' },
};

/** Where a call-map caller comes from; throws for a caller nobody has placed, so a new kind of caller cannot be admitted by accident or silently left out. */
export function originsOf(caller: string): Origin[] {
  if (caller === 'anyone') return [{ kind: 'edge' }, { kind: 'monitoring' }];
  if (caller === 'customer' || caller === 'operator') return [{ kind: 'edge' }];
  if ((SERVICE_IDENTITIES as readonly string[]).includes(caller)) return [IDENTITY_ORIGINS[caller as ServiceIdentity]];
  throw new Error(`the call maps name a caller "${caller}" with no known origin: place it in deploy/src/network-policies.ts`);
}

const namespaceSelector = (namespace: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': namespace } });
const ipBlocks = (cidrs: readonly string[]): IIoK8sApiNetworkingV1NetworkPolicyPeer[] => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

/** The network peers an origin is, as seen from a pod in `cluster`. */
export function peersOf(origin: Origin, cluster: Cluster, site: SiteSettings): IIoK8sApiNetworkingV1NetworkPolicyPeer[] {
  switch (origin.kind) {
    case 'edge':
      return [{ namespaceSelector: namespaceSelector(site.ingressNamespace) }];
    case 'monitoring':
      return [{ namespaceSelector: namespaceSelector(site.monitoringNamespace) }];
    case 'party':
      return ipBlocks(site.outsideParties[origin.party]);
    case 'service': {
      const caller = SERVICE_SPECS[origin.service];
      // Same cluster and namespace: the caller's own pods. Another cluster: its cloud's egress addresses.
      return caller.cluster === cluster ? [{ podSelector: { matchLabels: labelsOf(caller) } }] : ipBlocks(site.clusters[caller.cluster].egressCidrs);
    }
  }
}

const policyName = (service: ServiceName, caller: string) => `${service}-from-${caller}`;
const CALLER_LABEL = 'bank.example/caller';

/** One policy per caller of the service's call map, admitting it on the service's port. */
export function ingressPolicies(spec: ServiceSpec, site: SiteSettings, callMap: CallMap = CALL_MAPS[spec.name]): NetworkPolicy[] {
  return callersIn(callMap).map(
    (caller) =>
      new NetworkPolicy({
        metadata: { name: policyName(spec.name, caller), namespace: site.namespace, labels: { ...labelsOf(spec), [CALLER_LABEL]: caller } },
        spec: {
          podSelector: { matchLabels: labelsOf(spec) },
          policyTypes: ['Ingress'],
          ingress: [{ from: originsOf(caller).flatMap((origin) => peersOf(origin, spec.cluster, site)), ports: [{ protocol: 'TCP', port: spec.port }] }],
        },
      }),
  );
}

/** The services a service calls: those whose call maps name its identity. */
export function calleesOf(spec: ServiceSpec, callMaps: Readonly<Record<ServiceName, CallMap>> = CALL_MAPS): ServiceSpec[] {
  if (spec.identity === undefined) return [];
  const identity = spec.identity;
  return SERVICE_NAMES.filter((name) => callersIn(callMaps[name]).includes(identity)).map((name) => SERVICE_SPECS[name]);
}

/** What the service may reach: DNS, the services it calls (pods here, the other cloud's load balancers there) and its managed services. */
export function egressPolicy(spec: ServiceSpec, site: SiteSettings): NetworkPolicy {
  const dns: IIoK8sApiNetworkingV1NetworkPolicyEgressRule = {
    to: [{ namespaceSelector: namespaceSelector('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
  const callees = calleesOf(spec).map((callee): IIoK8sApiNetworkingV1NetworkPolicyEgressRule => ({
    to: callee.cluster === spec.cluster ? [{ podSelector: { matchLabels: labelsOf(callee) } }] : ipBlocks(site.clusters[callee.cluster].serviceCidrs),
    ports: [{ protocol: 'TCP', port: callee.port }],
  }));
  const managed = spec.uses.map((service): IIoK8sApiNetworkingV1NetworkPolicyEgressRule => ({
    to: ipBlocks(site.managed[service].cidrs),
    ports: [{ protocol: 'TCP', port: site.managed[service].port }],
  }));
  return new NetworkPolicy({
    metadata: { name: `${spec.name}-egress`, namespace: site.namespace, labels: labelsOf(spec) },
    spec: { podSelector: { matchLabels: labelsOf(spec) }, policyTypes: ['Egress'], egress: [dns, ...callees, ...managed] },
  });
}

/** Nothing in or out of the namespace unless a policy above admits it. */
export function defaultDeny(site: SiteSettings): NetworkPolicy {
  return new NetworkPolicy({
    metadata: { name: 'default-deny', namespace: site.namespace },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  });
}

/** Every network policy of a cluster. */
export function networkPoliciesOf(cluster: Cluster, site: SiteSettings): NetworkPolicy[] {
  return [defaultDeny(site), ...servicesIn(cluster).flatMap((spec) => [...ingressPolicies(spec, site), egressPolicy(spec, site)])];
}

export { CALLER_LABEL };
