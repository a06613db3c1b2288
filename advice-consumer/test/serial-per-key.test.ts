import { createSerialPerKey } from '../src/serial-per-key';

const tick = () => new Promise((resolve) => setImmediate(resolve));

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

test('tasks of one key run one after another in the order queued; other keys do not wait for them', async () => {
  const serial = createSerialPerKey();
  const log: string[] = [];
  const first = gate();
  const done = [
    serial.run('a', async () => {
      log.push('a1 start');
      await first.opened;
      log.push('a1 end');
    }),
    serial.run('a', async () => {
      log.push('a2');
    }),
    serial.run('b', async () => {
      log.push('b1');
    }),
  ];
  await tick();
  expect(log).toEqual(['a1 start', 'b1']);
  expect(serial.busyKeys).toBe(1);
  first.open();
  await Promise.all(done);
  expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  await tick();
  expect(serial.busyKeys).toBe(0);
});

test("a failed task does not stop the key's later tasks; its caller sees the failure", async () => {
  const serial = createSerialPerKey();
  const failed = serial.run('a', async () => {
    throw new Error('primary did not answer');
  });
  const later = serial.run('a', async () => undefined);
  await expect(failed).rejects.toThrow('primary did not answer');
  await expect(later).resolves.toBeUndefined();
});
