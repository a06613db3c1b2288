import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import {
  assertHostsAvailable,
  createHostNetwork,
  existingNamespaces,
  hostNetworkExists,
  processesInNamespaces,
  removeHostNetwork,
} from '../src/hosts/host-network';
import { hostsTopologyFromEnvironment, type HostsTopology, type Place } from '../src/hosts/hosts-topology';
import { cutLink, cutLinks, isCut, restoreAllLinks, restoreLink } from '../src/hosts/partition';

// Issue 18: the hosts topology's network and the partition helper, on real namespaces (root only;
// skipped, saying why, elsewhere). A TCP server in stand-in's cloud; connections to it from the
// other places before, during and after a cut between two of them.

const isRoot = process.getuid?.() === 0;
const PORT = 9_411;

/** Connects from inside a place (or from this machine, outside) and says what happened within the wait. */
function connect(topology: HostsTopology, from: Place, waitMs = 1_000): 'connected' | 'timeout' | 'refused' {
  const script = `const s=require('net').connect(${PORT},'${topology.hosts['standin-cloud'].address}');s.setTimeout(${waitMs},()=>{console.log('timeout');process.exit(0)});s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',()=>{console.log('refused');process.exit(0)})`;
  const command =
    from === 'outside'
      ? [process.execPath, '-e', script]
      : ['ip', 'netns', 'exec', topology.hosts[from as Exclude<Place, 'outside'>].netns, process.execPath, '-e', script];
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: waitMs + 5_000 });
  return result.stdout.trim() as 'connected' | 'timeout' | 'refused';
}

(isRoot ? describe : describe.skip)('hosts topology network and partitions (root)', () => {
  // A prefix and a network of this test's own: the project's topology (and another run of this test) keep theirs.
  const topology = hostsTopologyFromEnvironment({ BANK_HOSTS_PREFIX: `t${randomBytes(3).toString('hex')}`, BANK_HOSTS_NETWORK: String(randomInt(100, 200)) });
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    assertHostsAvailable();
    await createHostNetwork(topology);
    server = spawn(
      'ip',
      [
        'netns',
        'exec',
        topology.hosts['standin-cloud'].netns,
        process.execPath,
        '-e',
        `require('net').createServer((s)=>s.end()).listen(${PORT},'${topology.hosts['standin-cloud'].address}',()=>console.log('listening'))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => server!.stdout!.once('data', () => resolve()));
  });

  afterAll(async () => {
    await removeHostNetwork(topology);
  });

  test('when the network is built, then every place reaches a host at its address, through the router', () => {
    expect(hostNetworkExists(topology)).toBe(true);
    for (const from of ['primary-cloud', 'data-centre', 'outside'] as const) expect(connect(topology, from)).toBe('connected');
  });

  test('when the link between two hosts is cut, then packets between them are dropped silently and every other pair still talks; restored, they talk again', () => {
    cutLink(topology, 'primary-cloud', 'standin-cloud');
    cutLink(topology, 'primary-cloud', 'standin-cloud'); // idempotent
    expect(isCut(topology, 'standin-cloud', 'primary-cloud')).toBe(true);
    expect(cutLinks(topology)).toEqual([{ a: 'primary-cloud', b: 'standin-cloud' }]);
    // Dropped, not refused: the caller waits for its own timeout, as across a broken interconnect.
    expect(connect(topology, 'primary-cloud')).toBe('timeout');
    expect(connect(topology, 'data-centre')).toBe('connected');
    expect(connect(topology, 'outside')).toBe('connected');

    restoreLink(topology, 'standin-cloud', 'primary-cloud');
    expect(cutLinks(topology)).toEqual([]);
    expect(connect(topology, 'primary-cloud')).toBe('connected');
  });

  test('when several links are cut (a crashed run left them), then restoring all of them heals the network', () => {
    cutLink(topology, 'data-centre', 'standin-cloud');
    cutLink(topology, 'outside', 'standin-cloud');
    expect(connect(topology, 'data-centre')).toBe('timeout');
    restoreAllLinks(topology);
    expect(cutLinks(topology)).toEqual([]);
    expect(connect(topology, 'data-centre')).toBe('connected');
  });

  test('when a place is paired with itself or with something that is not a place, then the cut is refused', () => {
    expect(() => cutLink(topology, 'primary-cloud', 'primary-cloud')).toThrow(/two different places/);
    expect(() => cutLink(topology, 'primary-cloud', 'moon' as Place)).toThrow(/two different places/);
  });

  test('when the network is built again over leftovers (a crashed run), then what ran inside is gone and the network is whole', async () => {
    expect(processesInNamespaces(topology)).toContain(server!.pid);
    await createHostNetwork(topology);
    expect(processesInNamespaces(topology)).toEqual([]);
    if (server!.exitCode === null && server!.signalCode === null) await new Promise((resolve) => server!.once('exit', resolve));
    expect(server!.signalCode).toBe('SIGKILL');
    expect(hostNetworkExists(topology)).toBe(true);
    expect(connect(topology, 'primary-cloud')).toBe('refused');
    await removeHostNetwork(topology);
    expect(existingNamespaces(topology)).toEqual([]);
    expect(hostNetworkExists(topology)).toBe(false);
  });
});

test('when the hosts topology is asked for without root, then it says why it cannot start and what works instead', () => {
  if (!isRoot) {
    expect(() => assertHostsAvailable()).toThrow(/needs root/);
    return;
  }
  // As root: the same check in a process that dropped to an unprivileged user.
  const entry = path.join(__dirname, '..', 'dist', 'hosts', 'host-network.js');
  const result = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', `require(${JSON.stringify(entry)}).assertHostsAvailable()`],
    {
      encoding: 'utf8',
    },
  );
  expect(result.status).not.toBe(0);
  expect(result.stderr).toMatch(/the hosts topology needs root/);
  expect(result.stderr).toMatch(/single-host start/);
});

test('when the prefix or the network is unusable, then the configuration names the variable', () => {
  expect(() => hostsTopologyFromEnvironment({ BANK_HOSTS_PREFIX: 'Has-Dash' })).toThrow(/BANK_HOSTS_PREFIX/);
  expect(() => hostsTopologyFromEnvironment({ BANK_HOSTS_NETWORK: '300' })).toThrow(/BANK_HOSTS_NETWORK/);
  const topology = hostsTopologyFromEnvironment({});
  expect(topology.hosts['primary-cloud']).toEqual({ address: '10.211.1.2', netns: 'bank-primary-cloud' });
});
