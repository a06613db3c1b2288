import { COMPONENT_NAMES, isComponentName } from './component';
import { infraEndpoints, INFRA_ENVIRONMENT } from './config';
import { printStartReport } from './cli-output';
import { assertAllStarted, createInfra } from './infra';
import { PLACES, type Place } from './hosts/hosts-topology';
import { cutLink, cutLinks, restoreLink } from './hosts/partition';
import { InfraError } from './infra-error';
import * as lifecycle from './lifecycle';
import { serviceComponents } from './service-environment';
import { SERVICE_NAMES } from './services';

const USAGE = `usage: npm run infra -- <command> [--topology hosts]

  up                      start every component that is not running, wait until all are healthy
  down                    stop npm start's services, then every server (SIGTERM, then SIGKILL after 20 s)
  status [--json]         state, pid, endpoint and resident memory of each component
  env                     print the connection settings as shell exports
  start|stop <name>       start (and provision) or gracefully stop one server or service
  kill <name>             SIGKILL it, as a crash
  pause|resume <name>     SIGSTOP / SIGCONT it, as a hang and its end
  cut|restore <a> <b>     (hosts topology) partition two places, or heal the partition; places: ${PLACES.join(', ')}
  links                   (hosts topology) the links cut now

--topology hosts          the three-host topology (root): primary's cloud, stand-in's cloud and the data
                          centre as network namespaces (BANK_TOPOLOGY=hosts; BANK_HOSTS_PREFIX, BANK_HOSTS_NETWORK)

servers:  ${COMPONENT_NAMES.join(', ')}
services: ${SERVICE_NAMES.join(', ')} (as \`npm start\` runs them; its Ctrl-C stops them too)
ports and the data directory come from: ${Object.keys(INFRA_ENVIRONMENT).join(', ')}`;

/** Takes `--topology <name>` out of the arguments and hands it to the configuration as BANK_TOPOLOGY. */
function takeTopologyFlag(argv: readonly string[]): string[] {
  const at = argv.indexOf('--topology');
  if (at === -1) return [...argv];
  const name = argv[at + 1];
  if (name !== 'hosts') throw new InfraError('INFRA_USAGE', 'infra', `--topology takes hosts (got ${name ?? 'nothing'})`);
  process.env.BANK_TOPOLOGY = name;
  return [...argv.slice(0, at), ...argv.slice(at + 2)];
}

function place(name: string | undefined): Place {
  if (name !== undefined && (PLACES as readonly string[]).includes(name)) return name as Place;
  throw new InfraError('INFRA_USAGE', 'infra', `a place is one of ${PLACES.join(', ')} (got ${name ?? 'nothing'})`);
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, target, ...rest] = takeTopologyFlag(argv);
  const infra = createInfra();
  const topology = () => {
    if (!infra.config.topology) throw new InfraError('INFRA_USAGE', 'infra', `${command} works on the hosts topology: add --topology hosts`);
    return infra.config.topology;
  };
  // A server, or one of npm start's services (which run with the environment npm start gives them).
  const component = () => {
    if (target !== undefined && isComponentName(target)) return infra.components[target];
    const service = target === undefined ? undefined : serviceComponents(infra).find((candidate) => candidate.name === target);
    if (service === undefined)
      throw new InfraError(
        'INFRA_USAGE',
        'infra',
        `${command} needs a server or service, one of: ${[...COMPONENT_NAMES, ...SERVICE_NAMES].join(', ')}${target ? ` (got "${target}")` : ''}`,
      );
    return service;
  };
  switch (command) {
    case 'up': {
      const began = Date.now();
      const hosts = infra.config.topology;
      console.log(`starting infrastructure${hosts ? ` on the hosts topology (namespaces ${hosts.prefix}-*)` : ''} (data in ${infra.config.dataDir})`);
      // A Ctrl-C half-way through building the hosts topology leaves nothing behind.
      const interrupted = async () => {
        console.log('\ninterrupted: removing what was started');
        await infra.down().catch(() => undefined);
        process.exit(130);
      };
      if (hosts) for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void interrupted());
      const reports = await infra.up(printStartReport);
      assertAllStarted(reports);
      if (hosts) {
        for (const [name, host] of Object.entries(hosts.hosts)) console.log(`  ${name.padEnd(14)} ${host.address.padEnd(12)} netns ${host.netns}`);
        console.log(`hosts topology up in ${((Date.now() - began) / 1000).toFixed(1)} s (network and servers; the services run per stack)`);
      }
      return 0;
    }
    case 'cut':
      cutLink(topology(), place(target), place(rest[0]));
      console.log(`cut: ${target} <-/-> ${rest[0]} (packets dropped both ways)`);
      return 0;
    case 'restore':
      restoreLink(topology(), place(target), place(rest[0]));
      console.log(`restored: ${target} <-> ${rest[0]}`);
      return 0;
    case 'links': {
      const cut = cutLinks(topology());
      console.log(cut.length === 0 ? 'every link is up' : cut.map((link) => `cut: ${link.a} <-/-> ${link.b}`).join('\n'));
      return 0;
    }
    case 'down': {
      // npm start's services first: they would only retry servers that are gone.
      const services: string[] = [];
      for (const service of serviceComponents(infra).reverse()) if (await lifecycle.stop(service)) services.push(service.name);
      const stopped = [...services, ...(await infra.down())];
      console.log(stopped.length > 0 ? `stopped: ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      const statuses = [...(await infra.status()), ...(await Promise.all(serviceComponents(infra).map((service) => lifecycle.status(service))))];
      if (target === '--json' || rest.includes('--json')) {
        console.log(JSON.stringify(statuses, null, 2));
      } else {
        for (const s of statuses) {
          const memory = s.residentMemoryMib === undefined ? '' : `${s.residentMemoryMib} MiB`;
          console.log(
            `${s.name.padEnd(22)} ${s.state.padEnd(10)} ${String(s.pid ?? '-').padEnd(8)} ${memory.padEnd(9)} ${s.endpoint}${s.detail ? `  (${s.detail})` : ''}`,
          );
        }
      }
      // Exit 0 when every server is healthy and no service is unhealthy or paused (a stopped one is a choice).
      const fine = statuses.every((s) => (isComponentName(s.name) ? s.state === 'healthy' : s.state === 'healthy' || s.state === 'stopped'));
      return fine ? 0 : 3;
    }
    case 'env': {
      const endpoints = infraEndpoints(infra.config);
      console.log(`export PRIMARY_DATABASE_URL=${endpoints.postgres.primary}`);
      console.log(`export STANDIN_DATABASE_URL=${endpoints.postgres.standin}`);
      console.log(`export PRIMARY_REDIS_URL=${endpoints.redis.primary}`);
      console.log(`export STANDIN_REDIS_URL=${endpoints.redis.standin}`);
      console.log(`export KAFKA_BROKERS=${endpoints.kafkaBrokers.join(',')}`);
      console.log(`export PUBSUB_EMULATOR_HOST=${endpoints.pubsub.apiEndpoint}`);
      console.log(`export PUBSUB_PROJECT_ID=${endpoints.pubsub.projectId}`);
      return 0;
    }
    case 'start':
      await lifecycle.start(component());
      console.log(`${target} started and healthy`);
      return 0;
    case 'stop':
      console.log((await lifecycle.stop(component())) ? `${target} stopped` : `${target} was not running`);
      return 0;
    case 'kill':
      await lifecycle.kill(component());
      console.log(`${target} killed (SIGKILL)`);
      return 0;
    case 'pause':
      lifecycle.pause(component());
      console.log(`${target} paused (SIGSTOP); resume with: npm run infra -- resume ${target}`);
      return 0;
    case 'resume':
      lifecycle.resume(component());
      console.log(`${target} resumed (SIGCONT)`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof InfraError ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
