import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { transferRoutes } from './app/app-routes';
import { createStandinServer } from './app/server';
import { operatorsFromEnvironment } from './configuration/operators';
import { createCardDesk } from './payments/card-desk';
import { createFasterPaymentsDesk } from './payments/faster-payments-desk';
import { openDatabase } from './store/database';
import { fixedRules } from './payments/standin-rules';

/** Where `npm run docs:api` writes stand-in's reference, relative to the repository root. */
export const STANDIN_API_REFERENCE_PATH = 'docs/api/standin.openapi.json';

/** The reference as written to the repository: two-space JSON and a final newline. */
export const referenceText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/**
 * Stand-in's routes with nothing behind them: nothing here connects to the database or the
 * scheme until a request runs (the reference runs none; a test serves only /docs from it).
 */
export function standinWithoutServers(options: { serveApiDocs: boolean }): { server: FastifyInstance; close(): Promise<void> } {
  const database = openDatabase('postgres://127.0.0.1:1/unused', 1);
  const keys = { sealKey: randomBytes(32), lookupKey: randomBytes(32) };
  const now = () => new Date();
  const server = createStandinServer({
    database,
    logger: pino({ level: 'silent' }),
    now,
    keys,
    services: {},
    operators: operatorsFromEnvironment({ OPERATOR_TOKENS: 'reference:unused' }),
    cards: createCardDesk({ database, keys, rules: fixedRules({ maxPerPaymentMinor: 1, maxPerAccountPerDayMinor: 1 }), now }),
    fasterPayments: createFasterPaymentsDesk({ database, now }),
    serveApiDocs: options.serveApiDocs,
  });
  transferRoutes(server, { database, transfers: { send: () => Promise.reject(new Error('the reference serves no request')) } });
  return {
    server,
    async close() {
      await server.close();
      await database.end();
    },
  };
}

/** Stand-in's OpenAPI document, from the routes' own schemas. */
export async function standinApiReference(): Promise<unknown> {
  const { server, close } = standinWithoutServers({ serveApiDocs: false });
  try {
    await server.ready();
    return server.swagger();
  } finally {
    await close();
  }
}

if (require.main === module) {
  standinApiReference().then(
    (document) => {
      writeFileSync(STANDIN_API_REFERENCE_PATH, referenceText(document));
      console.log(`wrote ${STANDIN_API_REFERENCE_PATH}`);
    },
    (failure: unknown) => {
      console.error(`stand-in's API reference could not be generated: ${(failure as Error).message}`);
      process.exit(1);
    },
  );
}
