import { cutLink, restoreLink, type HostsTopology, type Place } from '@bank/infra';
import type { ScenarioRun } from './scenario';

// Partitions for the scenarios on the hosts topology: which links to cut, and the schedule line.

function topologyOf(run: ScenarioRun): HostsTopology {
  const topology = run.chaos.topology;
  if (!topology) throw new Error('this scenario cuts links between hosts: its stack must run on the hosts topology (stack: { topology: "hosts" })');
  return topology;
}

const describe = (links: readonly (readonly [Place, Place])[]) => links.map(([a, b]) => `${a} <-/-> ${b}`).join(', ');

/** Cuts each link (packets dropped both ways, silently) and records it in the schedule. */
export function cutLinks(run: ScenarioRun, links: readonly (readonly [Place, Place])[]): void {
  const topology = topologyOf(run);
  for (const [a, b] of links) cutLink(topology, a, b);
  run.step(`links cut: ${describe(links)}`);
}

export function restoreLinks(run: ScenarioRun, links: readonly (readonly [Place, Place])[]): void {
  const topology = topologyOf(run);
  for (const [a, b] of links) restoreLink(topology, a, b);
  run.step(`links restored: ${describe(links).replaceAll('<-/->', '<->')}`);
}
