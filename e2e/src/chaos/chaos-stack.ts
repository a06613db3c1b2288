import { assertAllStarted, createInfra, infraEndpoints, loadInfraConfig, type ComponentName, type HostsTopology, type Infra } from '@bank/infra';
import { stackHosts } from '../stack/hosts';
import { Pool } from 'pg';
import { startFasterPaymentsScheme, type FasterPaymentsSchemeSimulator } from '../simulator/faster-payments-scheme';
import { gatewayService } from '../stack/gateway-service';
import { startRunStack, type RunStack } from '../stack/run-stack';
import { startService, type ServiceDefinition, type ServiceProcess } from '../stack/service-process';

// A chaos run's system: the run stack (primary, stand-in, syncer, advice consumer on databases of
// their own), the data-centre gateway in front of it, and the Faster Payments scheme endpoint both
// platforms submit outbound payments to. Plus connections to both run databases for evidence.

export interface ChaosStackOptions {
  readonly scenario: string;
  /** The gateway sends traffic to stand-in by itself when primary's breaker opens. */
  readonly autoFailover: boolean;
  readonly gatewayEnv?: NodeJS.ProcessEnv;
  readonly standinEnv?: NodeJS.ProcessEnv;
  readonly primaryEnv?: NodeJS.ProcessEnv;
  /** Replicas of each platform behind its load balancer (default 1, none). */
  readonly replicas?: number;
  /** `hosts`: on the three-host topology (see RunStackOptions.topology). */
  readonly topology?: 'hosts';
  /** The gateway's port, chosen beforehand when stand-in must know it at start (its autopilot reads GATEWAY_URL); a free one otherwise. */
  readonly gatewayPort?: number;
}

export interface ChaosStack {
  readonly stack: RunStack;
  readonly gateway: ServiceProcess;
  readonly gatewayDefinition: ServiceDefinition;
  readonly scheme: FasterPaymentsSchemeSimulator;
  readonly primaryDb: Pool;
  readonly standinDb: Pool;
  readonly kafkaBrokers: readonly string[];
  /** The hosts topology the run is on, for scenarios that cut links between hosts. */
  readonly topology?: HostsTopology;
  stop(): Promise<void>;
}

/** Evidence connections: few, short timeouts, and an error handler, since chaos kills their server. */
function evidencePool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 3, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 5_000, statement_timeout: 30_000 });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Scenarios kill and pause the shared infrastructure; one that fails half-way must not leave the
 * next test (or the run's own clean-up, which drops its databases) without it.
 */
async function restoreInfrastructure(infra: Infra): Promise<void> {
  for (const component of await infra.status()) if (component.state === 'paused') infra.resume(component.name as ComponentName);
  assertAllStarted(await infra.up());
}

export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  // The scheme endpoint is outside, with the payment networks: on the hosts topology the platforms
  // reach it at the machine's address on the router's link, which exists only once the topology is
  // up. Brought up here, before the scheme listens (the run stack's own `up` then finds it running):
  // a clean machine whose first scenario on the topology was j failed with EADDRNOTAVAIL.
  let schemeHost: string | undefined;
  if (options.topology) {
    const hostsInfra = createInfra(loadInfraConfig({ ...process.env, BANK_TOPOLOGY: options.topology }));
    assertAllStarted(await hostsInfra.up());
    schemeHost = stackHosts(hostsInfra.config).outside;
  }
  const scheme = await startFasterPaymentsScheme(schemeHost === undefined ? {} : { host: schemeHost });
  let stack: RunStack | undefined;
  try {
    stack = await startRunStack({
      name: `chaos-${options.scenario}`,
      fasterPaymentsSchemeUrl: scheme.url,
      ...(options.primaryEnv ? { primaryEnv: options.primaryEnv } : {}),
      ...(options.standinEnv ? { standinEnv: options.standinEnv } : {}),
      ...(options.replicas ? { replicas: options.replicas } : {}),
      ...(options.topology ? { topology: options.topology } : {}),
    });
    const gatewayDefinition = gatewayService(stack.infra.config, stack.run, stack.urls, {
      env: {
        GATEWAY_AUTO_FAILOVER: options.autoFailover ? 'on' : 'off',
        // Inside the simulator's 2 s deadline, so a slow platform is answered 504 before the network gives up.
        GATEWAY_FPS_DEADLINE_MS: '1500',
        GATEWAY_BREAKER_RESET_MS: '2000',
        ...options.gatewayEnv,
      },
    });
    const gatewayHost = stackHosts(stack.infra.config).gateway;
    const gateway = await startService(gatewayDefinition, {
      ...(stack.infra.config.topology ? { host: gatewayHost } : {}),
      ...(options.gatewayPort ? { port: options.gatewayPort } : {}),
    });
    const primaryDb = evidencePool(stack.databases.primary);
    const standinDb = evidencePool(stack.databases.standin);
    const running = stack;
    return {
      stack: running,
      gateway,
      gatewayDefinition,
      scheme,
      primaryDb,
      standinDb,
      kafkaBrokers: infraEndpoints(running.infra.config).kafkaBrokers,
      ...(running.infra.config.topology ? { topology: running.infra.config.topology } : {}),
      async stop() {
        await Promise.all([primaryDb.end().catch(() => undefined), standinDb.end().catch(() => undefined)]);
        try {
          await restoreInfrastructure(running.infra);
        } finally {
          await gateway.stop();
          await running.stop();
          await scheme.close();
        }
      },
    };
  } catch (error) {
    await stack?.stop().catch(() => undefined);
    await scheme.close();
    throw error;
  }
}
