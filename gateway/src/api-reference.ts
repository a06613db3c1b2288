import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createGatewayMetrics } from './metrics';
import { createRouting } from './routing';
import { createGatewayServer } from './server';

/** Where `npm run docs:api` writes the gateway's reference, relative to the repository root. */
export const GATEWAY_API_REFERENCE_PATH = 'docs/api/gateway.openapi.json';

/** The reference as written to the repository: two-space JSON and a final newline. */
export const referenceText = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/** The gateway's routes with nothing behind them: it forwards no message (the reference sends none; a test serves only /docs). */
export function gatewayWithoutPlatforms(options: {
  serveApiDocs: boolean;
  networkCredentials?: readonly string[];
  standinCredentials?: readonly string[];
}): FastifyInstance {
  const logger = pino({ level: 'silent' });
  const metrics = createGatewayMetrics();
  return createGatewayServer({
    dispatch: () => Promise.reject(new Error('the reference forwards no message')),
    routing: createRouting({ autoFailover: false, logger, metrics, now: () => new Date() }),
    metrics,
    logger,
    reversals: { pending: () => ({ primary: 0, standin: 0 }) },
    // None by default: nothing reaches the scheme routes (and nothing would be forwarded).
    networkCredentials: options.networkCredentials ?? [],
    standinCredentials: options.standinCredentials ?? [],
    serveApiDocs: options.serveApiDocs,
  });
}

/** The gateway's OpenAPI document, from the routes' own schemas. */
export async function gatewayApiReference(): Promise<unknown> {
  const server = gatewayWithoutPlatforms({ serveApiDocs: false });
  try {
    await server.ready();
    return server.swagger();
  } finally {
    await server.close();
  }
}

if (require.main === module) {
  gatewayApiReference().then(
    (document) => {
      writeFileSync(GATEWAY_API_REFERENCE_PATH, referenceText(document));
      console.log(`wrote ${GATEWAY_API_REFERENCE_PATH}`);
    },
    (failure: unknown) => {
      console.error(`the gateway's API reference could not be generated: ${(failure as Error).message}`);
      process.exit(1);
    },
  );
}
