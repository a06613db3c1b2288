import { hostAddress, type HostAddress, type InfraConfig } from '@bank/infra';

// Where each of a stack's services runs on the hosts topology (infra/src/hosts/): primary's
// replicas, their load balancer and the advice consumer in primary's cloud (with its database,
// Redis and Kafka); stand-in's replicas, their load balancer and the syncer in stand-in's cloud
// (with its database, Redis and the Pub/Sub emulator); the gateway in the data centre. The test
// runner, the simulated payment networks and the engineer's terminal are outside, on the machine.
// Without the topology every service is on this machine's loopback, as before.

export interface StackHosts {
  readonly primary: HostAddress;
  readonly standin: HostAddress;
  readonly syncer: HostAddress;
  readonly adviceConsumer: HostAddress;
  readonly gateway: HostAddress;
  /** Where the simulated networks' endpoints (the Faster Payments scheme) listen for the platforms. */
  readonly outside: string;
}

export function stackHosts(config: Pick<InfraConfig, 'topology'>): StackHosts {
  const primaryCloud = hostAddress(config, 'primary-cloud');
  const standinCloud = hostAddress(config, 'standin-cloud');
  return {
    primary: primaryCloud,
    standin: standinCloud,
    syncer: standinCloud,
    adviceConsumer: primaryCloud,
    gateway: hostAddress(config, 'data-centre'),
    outside: config.topology?.outside.address ?? '127.0.0.1',
  };
}
