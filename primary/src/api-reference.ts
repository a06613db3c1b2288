import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildPrimary } from './app';
import { createPool } from './platform/db';
import { createMetrics } from './platform/metrics';
import { systemClock } from './platform/clock';
import { httpFasterPaymentsScheme } from './transfers/faster-payments-scheme';

/** Where `npm run docs:api` writes primary's reference, relative to the repository root. */
export const PRIMARY_API_REFERENCE_PATH = 'docs/api/primary.openapi.json';

/** The reference as written to the repository: stable key order from the code, two-space JSON, a final newline. */
export const referenceText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/**
 * Primary's routes with nothing behind them: nothing here connects to a database, Redis or the
 * scheme until a request runs (the reference runs none; a test serves only /docs from it).
 */
export function primaryWithoutServers(options: { serveApiDocs: boolean }): { app: FastifyInstance; close(): Promise<void> } {
  const db = createPool('postgres://127.0.0.1:1/unused');
  const { app } = buildPrimary({
    db,
    clock: systemClock,
    keys: {
      primary: { keyset: 'A', keyId: 'A-reference', key: randomBytes(32) },
      standin: { keyset: 'B', keyId: 'B-reference', publicKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey },
      indexKey: randomBytes(32),
    },
    services: {},
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    fasterPaymentsScheme: httpFasterPaymentsScheme({ url: 'http://127.0.0.1:1/unused' }),
    // Best effort by contract (see platform/cache.ts): a cache that always misses is a valid one.
    cache: { get: async () => undefined, set: async () => undefined, delete: async () => true, close: async () => undefined },
    serveApiDocs: options.serveApiDocs,
  });
  return {
    app,
    async close() {
      await app.close();
      await db.end();
    },
  };
}

/** Primary's OpenAPI document, from the routes' own schemas. */
export async function primaryApiReference(): Promise<unknown> {
  const { app, close } = primaryWithoutServers({ serveApiDocs: false });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await close();
  }
}

if (require.main === module) {
  primaryApiReference().then(
    (document) => {
      writeFileSync(PRIMARY_API_REFERENCE_PATH, referenceText(document));
      console.log(`wrote ${PRIMARY_API_REFERENCE_PATH}`);
    },
    (failure: unknown) => {
      console.error(`primary's API reference could not be generated: ${(failure as Error).message}`);
      process.exit(1);
    },
  );
}
