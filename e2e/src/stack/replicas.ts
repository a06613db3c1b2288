import path from 'node:path';
import { startLoadBalancer, type HostAddress, type RunningLoadBalancer } from '@bank/infra';
import { freePort, startService, type ServiceDefinition, type ServiceProcess } from './service-process';

// A platform as several replicas behind HAProxy, on one address: the port the other services were
// told (the platform's URL) is the load balancer's; each replica gets a free port of its own.

export interface ReplicatedPlatform {
  readonly replicas: ServiceProcess[];
  readonly loadBalancer: RunningLoadBalancer;
}

/** `primary` → `primary-2`, with a log of its own next to the others. */
function replicaDefinition(definition: ServiceDefinition, index: number): ServiceDefinition {
  const name = `${definition.name}-${index}`;
  return { ...definition, name, logFile: path.join(path.dirname(definition.logFile), `${name}.log`) };
}

/**
 * Starts the load balancer first (its port is the platform's address, reserved before any service
 * started; until a replica is ready it sends nothing), then each replica in turn: the first runs
 * the schema upgrade, the others find it done. Each started replica is given to `track` at once,
 * so a failure half-way still stops what did start.
 */
export async function startReplicatedPlatform(options: {
  readonly definition: ServiceDefinition;
  readonly count: number;
  readonly port: number;
  readonly directory: string;
  readonly track: (service: ServiceProcess) => void;
  /** The host the load balancer and the replicas run on (hosts topology); default this machine's loopback. */
  readonly host?: HostAddress;
}): Promise<ReplicatedPlatform> {
  const ports = await Promise.all(Array.from({ length: options.count }, () => freePort()));
  const loadBalancer = await startLoadBalancer({
    name: `lb-${options.definition.name}`,
    port: options.port,
    statsPort: await freePort(),
    directory: options.directory,
    ...(options.host ? { host: options.host.address, ...(options.host.netns ? { netns: options.host.netns } : {}) } : {}),
    backends: ports.map((port, index) => ({
      name: `${options.definition.name}-${index + 1}`,
      port,
      ...(options.host ? { host: options.host.address } : {}),
    })),
  });
  const replicas: ServiceProcess[] = [];
  try {
    for (const [index, port] of ports.entries()) {
      const replica = await startService(replicaDefinition(options.definition, index + 1), { port, ...(options.host ? { host: options.host } : {}) });
      options.track(replica);
      replicas.push(replica);
    }
    await untilEveryReplicaUp(loadBalancer, options.count);
  } catch (error) {
    await loadBalancer.stop();
    throw error;
  }
  return { replicas, loadBalancer };
}

/** HAProxy has seen every replica ready (`rise` good checks), so the first requests are spread. */
export async function untilEveryReplicaUp(loadBalancer: RunningLoadBalancer, count: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const states = await loadBalancer.replicas().catch(() => []);
    last = states.map((state) => `${state.name}=${state.state}`).join(', ');
    if (states.filter((state) => state.state === 'UP').length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${loadBalancer.name}: not every replica was up within ${timeoutMs / 1000} s (${last})`);
}

/** Waits until HAProxy has taken the replica out of rotation (its checks failed `fall` times). */
export async function untilReplicaDown(loadBalancer: RunningLoadBalancer, name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = (await loadBalancer.replicas().catch(() => [])).find((replica) => replica.name === name);
    if (state && state.state !== 'UP' && !state.state.startsWith('UP')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${loadBalancer.name}: ${name} was still in rotation after ${timeoutMs / 1000} s`);
}
