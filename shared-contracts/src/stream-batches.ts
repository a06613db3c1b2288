import type { Readable } from 'node:stream';

// The Kafka client (@platformatic/kafka) hands messages over one at a time, as an object-mode
// stream, while the consumers here apply them many to a database transaction. This takes what the
// stream has already buffered (its last fetch, up to `maxSize`) without waiting for more: a batch
// is as large as what Kafka delivered together, and a lone message is not held back.

/**
 * The stream's messages in batches: each one what was buffered when it was read, at most
 * `maxSize`, in the stream's order. Ends when the stream ends; throws the stream's error.
 */
export async function* streamBatches<T>(stream: Readable, maxSize: number): AsyncGenerator<T[]> {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError(`a batch holds at least one message (maxSize ${maxSize})`);
  // Listening for 'readable' throughout keeps the stream in paused mode (readableFlowing false).
  // With no listener Node sets it back to null, which the Kafka client reads as nobody consuming:
  // it stops fetching, and read() alone never starts it again.
  const keepReading = () => undefined;
  stream.on('readable', keepReading);
  try {
    yield* batchesOf<T>(stream, maxSize);
  } finally {
    stream.off('readable', keepReading);
  }
}

async function* batchesOf<T>(stream: Readable, maxSize: number): AsyncGenerator<T[]> {
  for (;;) {
    const batch: T[] = [];
    for (let message: T | null; batch.length < maxSize && (message = stream.read() as T | null) !== null;) batch.push(message);
    if (batch.length > 0) {
      yield batch;
      continue;
    }
    if (stream.errored) throw stream.errored;
    if (stream.readableEnded || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      const settle = () => {
        stream.off('readable', settle);
        stream.off('end', settle);
        stream.off('close', settle);
        stream.off('error', settle);
        resolve();
      };
      stream.on('readable', settle);
      stream.on('end', settle);
      stream.on('close', settle);
      stream.on('error', settle);
    });
  }
}
