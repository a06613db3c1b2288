import net from 'node:net';
import path from 'node:path';
import type { Component, ComponentName, Probe } from '../component';
import type { HostAddress } from '../hosts/hosts-topology';
import { requireBinary } from '../prerequisites';

interface RedisOptions {
  readonly name: Extract<ComponentName, 'redis-primary' | 'redis-standin'>;
  readonly port: number;
  readonly host: HostAddress;
  readonly directory: string;
}

/** Sends PING over a raw socket: no client library state to get stuck when the server is paused. */
export function pingRedis(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let answer = '';
    const finish = (probe: Probe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => finish({ healthy: false, reason: `no answer to PING within ${timeoutMs} ms` }));
    socket.once('error', (error) => finish({ healthy: false, reason: error.message }));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG') ? { healthy: true } : { healthy: false, reason: `unexpected answer: ${answer.trim()}` });
    });
  });
}

/** A Redis instance of the project's own, with an append-only file in its own directory. */
export function redisComponent(options: RedisOptions): Component {
  const logFile = path.join(options.directory, `${options.name}.log`);
  let redisServer = '';
  return {
    name: options.name,
    description: 'Redis',
    endpoint: `redis://${options.host.address}:${options.port}`,
    ports: [options.port],
    ...(options.host.netns ? { netns: options.host.netns } : {}),
    directory: options.directory,
    logFile,
    startTimeoutMs: 15_000,
    ensureInstalled() {
      redisServer = requireBinary({ component: options.name, executable: 'redis-server', debianPackage: 'redis-server' });
    },
    async prepare() {
      // Nothing to initialise: Redis creates its files on first write.
    },
    launchSpec() {
      return {
        command: redisServer,
        args: [
          '--port',
          String(options.port),
          '--bind',
          options.host.address,
          // Off the loopback (the hosts topology), Redis refuses clients unless told it is protected otherwise: the namespace is.
          '--protected-mode',
          'no',
          '--dir',
          options.directory,
          '--daemonize',
          'no',
          '--appendonly',
          'yes',
          '--appendfsync',
          'everysec',
          '--save',
          '',
          '--maxmemory',
          '256mb',
          '--logfile',
          '',
        ],
        cwd: options.directory,
        logFile,
      };
    },
    probe: (timeoutMs) => pingRedis(options.port, timeoutMs, options.host.address),
    async provision() {
      // Redis needs no schema.
    },
  };
}
