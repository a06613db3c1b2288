import { InfraError } from '../infra-error';

// The three-host topology (`npm run infra -- up --topology hosts`): primary's cloud, stand-in's
// cloud and the data centre as Linux network namespaces on this machine, each with an address of
// its own, all joined through a router namespace. The test runner, the payment networks it
// simulates and the engineer's terminal stay in the machine's own namespace ("outside"), linked
// to the router too, so they reach every host and a partition between two hosts leaves them be.

export const HOST_NAMES = ['primary-cloud', 'standin-cloud', 'data-centre'] as const;
export type HostName = (typeof HOST_NAMES)[number];
/** A host, or the machine's own namespace where the tests and the simulated networks run. */
export type Place = HostName | 'outside';
export const PLACES: readonly Place[] = [...HOST_NAMES, 'outside'];

export interface HostAddress {
  /** The address the host's services bind (HOST) and its peers reach it by. */
  readonly address: string;
  /** Its network namespace; undefined for the machine's own (the default single-host start). */
  readonly netns?: string;
}

export interface HostsTopology {
  /** Prefix of every namespace and link the topology creates, so two runs (or helpers) never share one. */
  readonly prefix: string;
  readonly router: string;
  readonly hosts: Readonly<Record<HostName, Required<HostAddress>>>;
  /** The machine's own address on the link to the router, and the interface name it has there. */
  readonly outside: { readonly address: string; readonly interfaceName: string };
  /** The router's address on each link (a /24 per place: 10.<network>.<index>.0). */
  readonly gateways: Readonly<Record<Place, string>>;
  readonly network: number;
}

/** Every variable the topology reads, with its default. */
export const HOSTS_ENVIRONMENT = {
  /** Namespaces are `<prefix>-primary-cloud` etc.; at most 10 characters (interface names are 15). */
  BANK_HOSTS_PREFIX: 'bank',
  /** Second octet of the 10.x.0.0/16 the hosts are numbered in. */
  BANK_HOSTS_NETWORK: '211',
} as const;

const PLACE_INDEX: Record<Place, number> = { 'primary-cloud': 1, 'standin-cloud': 2, 'data-centre': 3, outside: 9 };

export function hostsTopologyFromEnvironment(env: NodeJS.ProcessEnv = process.env): HostsTopology {
  const prefix = env.BANK_HOSTS_PREFIX || HOSTS_ENVIRONMENT.BANK_HOSTS_PREFIX;
  if (!/^[a-z][a-z0-9]{0,9}$/.test(prefix))
    throw new InfraError('INFRA_USAGE', 'hosts', `BANK_HOSTS_PREFIX=${prefix} is not usable: 1 to 10 lower-case letters and digits, a letter first`);
  const raw = env.BANK_HOSTS_NETWORK || HOSTS_ENVIRONMENT.BANK_HOSTS_NETWORK;
  const network = Number(raw);
  if (!Number.isInteger(network) || network < 1 || network > 254)
    throw new InfraError('INFRA_USAGE', 'hosts', `BANK_HOSTS_NETWORK=${raw} is not usable: the second octet of 10.x.0.0/16, 1 to 254`);
  const subnet = (place: Place) => `10.${network}.${PLACE_INDEX[place]}`;
  const host = (name: HostName) => ({ address: `${subnet(name)}.2`, netns: `${prefix}-${name}` });
  return {
    prefix,
    network,
    router: `${prefix}-router`,
    hosts: { 'primary-cloud': host('primary-cloud'), 'standin-cloud': host('standin-cloud'), 'data-centre': host('data-centre') },
    outside: { address: `${subnet('outside')}.2`, interfaceName: `${prefix}-outside` },
    gateways: Object.fromEntries(PLACES.map((place) => [place, `${subnet(place)}.1`])) as Record<Place, string>,
  };
}

/** The address of a place: a host's, or the machine's own on the link to the router. */
export function placeAddress(topology: HostsTopology, place: Place): string {
  return place === 'outside' ? topology.outside.address : topology.hosts[place].address;
}

export const placeSubnet = (topology: HostsTopology, place: Place) => `10.${topology.network}.${PLACE_INDEX[place]}.0/24`;
