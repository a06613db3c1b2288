import { InfraError } from '../infra-error';
import { ip } from './host-network';
import { PLACES, placeSubnet, type HostsTopology, type Place } from './hosts-topology';

// Network partitions between two places of the hosts topology. The router drops what one sends the
// other (a `blackhole` policy rule each way, in the router's namespace): silently, as a cut cable or
// a cloud's broken interconnect does, so a connection attempt hangs until the caller's own timeout
// and an open connection stops answering. Nothing is refused, nobody is told. Every other pair
// still talks. This kernel has no netem and the machine no iptables; policy rules need neither.

/** Priority of our rules: before the main table (32766), after the local one (0). */
const RULE_PRIORITY = '1000';

export interface Link {
  readonly a: Place;
  readonly b: Place;
}

function ruleArgs(topology: HostsTopology, from: Place, to: Place): string[] {
  return ['from', placeSubnet(topology, from), 'to', placeSubnet(topology, to), 'blackhole', 'priority', RULE_PRIORITY];
}

function assertPair(a: Place, b: Place): void {
  if (a === b || !PLACES.includes(a) || !PLACES.includes(b))
    throw new InfraError('INFRA_USAGE', 'hosts', `a link joins two different places, one of ${PLACES.join(', ')} (got ${a} and ${b})`);
}

/** The links cut now, read from the router's rules (not remembered: a crashed run's cuts show too). */
export function cutLinks(topology: HostsTopology): Link[] {
  const placeOf = new Map(PLACES.map((place) => [placeSubnet(topology, place), place]));
  const pairs = new Map<string, Link>();
  for (const line of ip(['-n', topology.router, 'rule', 'show'], { allowFailure: true }).output.split('\n')) {
    const match = /from (\S+) to (\S+) blackhole/.exec(line);
    const a = match && placeOf.get(match[1]!);
    const b = match && placeOf.get(match[2]!);
    if (!a || !b) continue;
    const [first, second] = [a, b].sort() as [Place, Place];
    pairs.set(`${first}|${second}`, { a: first, b: second });
  }
  return [...pairs.values()];
}

export function isCut(topology: HostsTopology, a: Place, b: Place): boolean {
  return cutLinks(topology).some((link) => (link.a === a && link.b === b) || (link.a === b && link.b === a));
}

/** Cuts the link between two places, both ways. Idempotent. */
export function cutLink(topology: HostsTopology, a: Place, b: Place): void {
  assertPair(a, b);
  if (isCut(topology, a, b)) return;
  ip(['-n', topology.router, 'rule', 'add', ...ruleArgs(topology, a, b)]);
  ip(['-n', topology.router, 'rule', 'add', ...ruleArgs(topology, b, a)]);
}

/** Restores the link between two places. Idempotent. */
export function restoreLink(topology: HostsTopology, a: Place, b: Place): void {
  assertPair(a, b);
  ip(['-n', topology.router, 'rule', 'del', ...ruleArgs(topology, a, b)], { allowFailure: true });
  ip(['-n', topology.router, 'rule', 'del', ...ruleArgs(topology, b, a)], { allowFailure: true });
}

/** Restores every cut link (an `up` after a crashed chaos run starts whole). */
export function restoreAllLinks(topology: HostsTopology): void {
  for (const link of cutLinks(topology)) restoreLink(topology, link.a, link.b);
}
