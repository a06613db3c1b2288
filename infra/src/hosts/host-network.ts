import { spawnSync } from 'node:child_process';
import { InfraError } from '../infra-error';
import { findExecutable } from '../prerequisites';
import { waitUntil } from '../process-control';
import { HOST_NAMES, PLACES, type HostsTopology, type Place } from './hosts-topology';

// Builds and removes the hosts topology's network: one namespace per host and one for the router,
// a veth link from each to the router (and one from the machine's own namespace), forwarding on in
// the router only. Everything it creates carries the topology's prefix, and removal finds it by
// that prefix, not by what this process remembers: after a crashed run the next `up` (or `down`)
// removes what was left.

const IP_EXTRA_DIRECTORIES = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const PLACE_INDEX_NAME: Record<Place, string> = { 'primary-cloud': 'to-1', 'standin-cloud': 'to-2', 'data-centre': 'to-3', outside: 'to-9' };
/** How long processes left in a namespace may take to die after SIGKILL. */
const KILL_WAIT_MS = 10_000;

function ipBinary(): string {
  const ip = findExecutable('ip', IP_EXTRA_DIRECTORIES);
  if (!ip) throw new InfraError('INFRA_MISSING_BINARY', 'hosts', 'the hosts topology needs `ip` (iproute2): apt-get install -y iproute2');
  return ip;
}

/** Runs `ip <args>`; throws with what it said unless `allowFailure`. */
export function ip(args: readonly string[], options: { allowFailure?: boolean } = {}): { ok: boolean; output: string } {
  const result = spawnSync(ipBinary(), [...args], { encoding: 'utf8', timeout: 10_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
  const ok = result.status === 0;
  if (!ok && !options.allowFailure)
    throw new InfraError('INFRA_START_FAILED', 'hosts', `ip ${args.join(' ')} failed (exit ${result.status}): ${output || result.error?.message}`);
  return { ok, output };
}

/**
 * Fails with why the topology cannot start here: it needs root (namespaces and links are the
 * kernel's) and a working `ip netns`. The default single-host start needs neither.
 */
export function assertHostsAvailable(): void {
  const fallback = 'or use the default single-host start (`npm run infra -- up`, `npm start`), which needs neither';
  if (process.platform !== 'linux')
    throw new InfraError('INFRA_USAGE', 'hosts', `the hosts topology needs Linux network namespaces (this is ${process.platform}); ${fallback}`);
  if (process.getuid?.() !== 0)
    throw new InfraError(
      'INFRA_USAGE',
      'hosts',
      `the hosts topology needs root: it creates network namespaces and links with \`ip netns\` and \`ip link\`. Run it as root, ${fallback}`,
    );
  const listed = ip(['netns', 'list'], { allowFailure: true });
  if (!listed.ok) throw new InfraError('INFRA_USAGE', 'hosts', `\`ip netns\` does not work here (${listed.output}); the hosts topology needs it, ${fallback}`);
}

/** Our namespaces that exist now (found by prefix). */
export function existingNamespaces(topology: HostsTopology): string[] {
  const listed = ip(['netns', 'list'], { allowFailure: true });
  if (!listed.ok) return [];
  return listed.output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.startsWith(`${topology.prefix}-`));
}

/** Whether the whole network is there: every namespace and the machine's own link to the router. */
export function hostNetworkExists(topology: HostsTopology): boolean {
  const names = new Set(existingNamespaces(topology));
  const wanted = [topology.router, ...HOST_NAMES.map((host) => topology.hosts[host].netns)];
  return wanted.every((name) => names.has(name)) && ip(['link', 'show', topology.outside.interfaceName], { allowFailure: true }).ok;
}

/** Pids of every process inside one of our namespaces. */
export function processesInNamespaces(topology: HostsTopology): number[] {
  return existingNamespaces(topology).flatMap((name) =>
    ip(['netns', 'pids', name], { allowFailure: true })
      .output.split('\n')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && pid > 0),
  );
}

/**
 * SIGKILLs whatever still runs inside our namespaces (a namespace lives on while a process holds
 * it), then deletes them and the machine's link to the router. Returns the namespaces removed.
 */
export async function removeHostNetwork(topology: HostsTopology): Promise<string[]> {
  const namespaces = existingNamespaces(topology);
  const pids = processesInNamespaces(topology);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await waitUntil(() => processesInNamespaces(topology).length === 0, KILL_WAIT_MS, 100);
  for (const name of namespaces) ip(['netns', 'delete', name], { allowFailure: true });
  ip(['link', 'delete', topology.outside.interfaceName], { allowFailure: true });
  return namespaces;
}

/** Removes leftovers, then builds the network afresh. */
export async function createHostNetwork(topology: HostsTopology): Promise<void> {
  await removeHostNetwork(topology);
  const router = topology.router;
  ip(['netns', 'add', router]);
  ip(['-n', router, 'link', 'set', 'lo', 'up']);
  // Forwarding is per namespace: on in the router only, so the hosts talk through it and nowhere else.
  ip(['netns', 'exec', router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  for (const place of PLACES) {
    const gateway = topology.gateways[place];
    const routerSide = PLACE_INDEX_NAME[place];
    if (place === 'outside') {
      ip(['link', 'add', topology.outside.interfaceName, 'type', 'veth', 'peer', 'name', routerSide, 'netns', router]);
      ip(['addr', 'add', `${topology.outside.address}/24`, 'dev', topology.outside.interfaceName]);
      ip(['link', 'set', topology.outside.interfaceName, 'up']);
    } else {
      const host = topology.hosts[place];
      ip(['netns', 'add', host.netns]);
      ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
      ip(['-n', host.netns, 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', routerSide, 'netns', router]);
      ip(['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'uplink']);
      ip(['-n', host.netns, 'link', 'set', 'uplink', 'up']);
      ip(['-n', host.netns, 'route', 'add', 'default', 'via', gateway]);
    }
    ip(['-n', router, 'addr', 'add', `${gateway}/24`, 'dev', routerSide]);
    ip(['-n', router, 'link', 'set', routerSide, 'up']);
  }
  // The machine reaches every host through the router (and nothing else goes there).
  ip(['route', 'add', `10.${topology.network}.0.0/16`, 'via', topology.gateways.outside]);
}
