import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { STANDIN_API_REFERENCE_PATH, standinApiReference, standinWithoutServers } from '../src/api-reference';
import { installApiDocs, undocumented } from '../src/app/api-docs';

// The API reference is generated from the routes' zod schemas: every route has one, the committed
// document is what the code generates, and /docs serves it in local mode only.

const committed = () => JSON.parse(readFileSync(path.join(__dirname, '..', '..', STANDIN_API_REFERENCE_PATH), 'utf8')) as unknown;

test('when the routes change, the committed reference must be regenerated (npm run docs:api)', async () => {
  expect(await standinApiReference()).toEqual(committed());
});

test('every route of stand-in is in the reference, with the schemas it validates with', async () => {
  const document = (await standinApiReference()) as {
    paths: Record<string, Record<string, { summary?: string; requestBody?: unknown; parameters?: { in: string; name: string }[] }>>;
  };
  const transfer = document.paths['/accounts/{accountId}/transfers']?.post;
  expect(transfer?.requestBody).toBeDefined();
  expect(transfer?.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual(
    expect.arrayContaining(['path:accountId', 'header:idempotency-key']),
  );
  expect(document.paths['/scheme/card/authorisations']?.post?.requestBody).toBeDefined();
  for (const [url, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations))
      expect({ route: `${method} ${url}`, summary: operation.summary ?? 'none' }).not.toEqual({ route: `${method} ${url}`, summary: 'none' });
  }
});

test('when a route is added without a schema, building the app fails and says which route', () => {
  expect(undocumented({ method: 'GET', url: '/accounts/:accountId/things', schema: { summary: 'things' } })).toMatch(
    'GET /accounts/:accountId/things has path parameters but no params schema',
  );
  const app = Fastify();
  installApiDocs(app, { title: 't', description: 'd', version: '0', serve: false });
  expect(() => app.get('/undocumented', async () => ({}))).toThrow('GET /undocumented has no schema with a summary');
});

test('when local mode serves the reference, /docs shows it and /docs/json is the document; otherwise /docs is not a route', async () => {
  const local = standinWithoutServers({ serveApiDocs: true });
  const production = standinWithoutServers({ serveApiDocs: false });
  try {
    const localAddress = await local.server.listen({ port: 0, host: '127.0.0.1' });
    const page = await fetch(`${localAddress}/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch('text/html');
    expect(await (await fetch(`${localAddress}/docs/json`)).json()).toEqual(committed());

    const productionAddress = await production.server.listen({ port: 0, host: '127.0.0.1' });
    const refused = await fetch(`${productionAddress}/docs`);
    expect(refused.status).toBe(404);
    expect(await refused.json()).toEqual({ error: { code: 'STANDIN_NO_ROUTE', message: 'stand-in has no GET /docs' } });
  } finally {
    await local.close();
    await production.close();
  }
});
