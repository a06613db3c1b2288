import { PassThrough, Readable } from 'node:stream';
import { streamBatches } from '../src/stream-batches';

async function collect<T>(batches: AsyncGenerator<T[]>): Promise<T[][]> {
  const seen: T[][] = [];
  for await (const batch of batches) seen.push(batch);
  return seen;
}

test('when messages are buffered, then they come in batches of at most the size asked, in order', async () => {
  const stream = Readable.from([1, 2, 3, 4, 5], { objectMode: true });
  const batches = await collect(streamBatches<number>(stream, 2));
  expect(batches.flat()).toEqual([1, 2, 3, 4, 5]);
  expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(2);
});

test('when one message arrives alone, then it is handed over without waiting for a full batch', async () => {
  const stream = new PassThrough({ objectMode: true });
  const batches = streamBatches<string>(stream, 100);
  stream.write('lone');
  await expect(batches.next()).resolves.toEqual({ done: false, value: ['lone'] });
  stream.end();
  await expect(batches.next()).resolves.toEqual({ done: true, value: undefined });
});

test('when the stream fails, then the batches end with its error', async () => {
  const stream = new PassThrough({ objectMode: true });
  const batches = streamBatches<string>(stream, 10);
  const next = batches.next();
  stream.destroy(new Error('broker gone'));
  await expect(next.then(() => batches.next())).rejects.toThrow('broker gone');
});

test('while batches are read, the stream stays in paused mode, never "no consumer" (the Kafka client stops fetching then)', async () => {
  const stream = new PassThrough({ objectMode: true });
  const batches = streamBatches<string>(stream, 10);
  stream.write('first');
  await batches.next();
  expect(stream.readableFlowing).toBe(false);
  const next = batches.next();
  expect(stream.readableFlowing).toBe(false);
  stream.write('second');
  await expect(next).resolves.toEqual({ done: false, value: ['second'] });
  expect(stream.readableFlowing).toBe(false);
  stream.end();
  await batches.next();
});
