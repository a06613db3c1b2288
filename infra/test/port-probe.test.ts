import net from 'node:net';
import { portIsFree } from '../src/lifecycle';

// Found on a loaded CI machine: the probe connected to the port and took a connect that had not
// been refused within 500 ms for "in use", so a free port refused a server's start. A busy event
// loop makes the refusal late deterministically: the timer and the refusal are then both due,
// and timers run first.

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer();
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // the machine is busy: nothing else runs on this thread meanwhile
  }
}

test('when the machine is too busy to see a free port refuse a connection in time, then the port still counts as free', async () => {
  const port = await freePort();
  const probing = portIsFree(port);
  busyFor(700);
  expect(await probing).toBe(true);
});

test('when a server listens on the port, then it is not free', async () => {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve((server.address() as net.AddressInfo).port)));
  try {
    expect(await portIsFree(port)).toBe(false);
  } finally {
    server.close();
  }
});
