import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInfra, loadInfraConfig } from '../src';
import { componentProcesses } from '../src/process-control';

// A second, throw-away set of servers on other ports and another data directory, so `down`
// can be proven without stopping the servers the rest of the suite uses.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bank-infra-'));
fs.chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user and must reach its directory.
const infra = createInfra(
  loadInfraConfig({
    BANK_DATA_DIR: dataDir,
    BANK_PG_PRIMARY_PORT: '25432',
    BANK_PG_STANDIN_PORT: '25433',
    BANK_REDIS_PRIMARY_PORT: '26379',
    BANK_REDIS_STANDIN_PORT: '26380',
    BANK_KAFKA_PORT: '29092',
    BANK_KAFKA_CONTROLLER_PORT: '29093',
    BANK_PUBSUB_PORT: '28085',
  }),
);

afterAll(async () => {
  await infra.down();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('component lifecycle', () => {
  test('when a component is started twice, then the second start finds it healthy and starts nothing new', async () => {
    await infra.start('redis-standin');
    const first = (await infra.status()).find((s) => s.name === 'redis-standin');
    await infra.start('redis-standin');
    const second = (await infra.status()).find((s) => s.name === 'redis-standin');
    expect(first?.state).toBe('healthy');
    expect(second?.pid).toBe(first?.pid);
  });

  test('when down runs, then no process of any component is left, PostgreSQL backends included', async () => {
    await infra.start('pg-primary');
    await infra.start('redis-primary');
    const pids = (await infra.status()).filter((s) => s.pid !== undefined).map((s) => s.pid as number);
    expect(pids).toHaveLength(3);
    // PostgreSQL runs several processes (checkpointer, walwriter, ...), each in its own session.
    const postgresProcesses = componentProcesses(pids[0] as number);
    expect(postgresProcesses.length).toBeGreaterThan(1);

    expect((await infra.down()).sort()).toEqual(['pg-primary', 'redis-primary', 'redis-standin']);
    for (const pid of [...pids, ...postgresProcesses]) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
    expect((await infra.status()).every((s) => s.state === 'stopped')).toBe(true);
  });

  test('when a port is taken by a process this project did not start, then start says which port and changes nothing', async () => {
    const net = await import('node:net');
    const squatter = net.createServer().listen(26380, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      await expect(infra.start('redis-standin')).rejects.toThrow(/redis-standin: port 26380 is already in use by a process this project did not start/);
      expect((await infra.status()).find((s) => s.name === 'redis-standin')?.state).toBe('stopped');
    } finally {
      squatter.close();
    }
  });

  test('when a component is killed or paused while not running, then the error says how to start it', async () => {
    await expect(infra.kill('kafka')).rejects.toThrow('kafka: is not running; start it with `npm run infra -- start kafka`');
  });
});
