import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

// The gateway's own copy of the reference's wiring (each service keeps its own, as primary and stand-in must).

/** Where the browsable reference is served in local mode (never in production). */
export const API_DOCS_PREFIX = '/docs';

/** The documented error envelope, for the reference: every 4xx and 5xx body the gateway writes itself (a platform's answer is passed on unchanged). */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string().describe('stable code, e.g. GATEWAY_INVALID_MESSAGE'),
      message: z.string().describe('what to fix; never a card number'),
      issues: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .describe('one entry per field that failed validation'),
    }),
    responseCode: z.string().optional().describe("ISO 8583 field 39 when the gateway answers a card message in a platform's place (91: no answer in time)"),
  })
  .describe('error envelope');

/** The reference's groups of routes, by caller. */
export const SCHEME_TAG = 'scheme';

/** Every 4xx and 5xx answer, on every documented route: the envelope. */
export const ERROR_RESPONSES = { '4xx': ErrorEnvelope, '5xx': ErrorEnvelope };

/** Routes for humans and machines (health, metrics, the reference itself): reachable, not part of the API contract. */
export const OPERATIONS_TAG = 'operations';

/** A route that needs a bearer credential (the scheme routes: the payment network's). */
export const BEARER = [{ bearer: [] }];

/**
 * Why a route would be missing from the reference, or undefined when it is documented: a summary,
 * and a schema for each path parameter. Checked as each route is added, so a route without a
 * schema fails the build of the app (and every test that builds it), not a reader later.
 */
export function undocumented(route: Pick<RouteOptions, 'method' | 'url' | 'schema'>): string | undefined {
  const schema = route.schema as { hide?: boolean; summary?: string; params?: unknown } | undefined;
  if (schema?.hide) return undefined;
  if (!schema?.summary)
    return `${String(route.method)} ${route.url} has no schema with a summary: give the route a schema (its zod schemas and a summary) so the API reference shows it`;
  if (route.url.includes('/:') && !schema.params) return `${String(route.method)} ${route.url} has path parameters but no params schema`;
  return undefined;
}

/**
 * The API reference, generated from the zod schemas the handlers validate with (@fastify/swagger
 * with fastify-type-provider-zod's transform): `app.swagger()` is the OpenAPI document, and with
 * `serve` the Swagger UI is at /docs. The schemas on a route document it only: the handlers still
 * validate as they always did (readSchemeMessage), so the caller's mistakes keep the error envelope, the order of
 * checks (who you are before what you sent) and the bytes forwarded unchanged.
 * Call before any route is added; add routes with `afterApiDocs`.
 */
export function installApiDocs(app: FastifyInstance, options: { title: string; description: string; version: string; serve: boolean }): void {
  // Documentation only: validation and serialisation stay as they were without schemas.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRoute', (route) => {
    const why = undocumented(route);
    if (why) throw new Error(why);
  });
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: options.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  if (options.serve) void app.register(fastifySwaggerUi, { routePrefix: API_DOCS_PREFIX });
}

/**
 * Adds routes once the reference's plugin has loaded (fastify loads plugins in order, later than
 * routes added directly), so it sees every one of them. Same context as the app: its error
 * handler, hooks and decorations apply.
 */
export function afterApiDocs(app: FastifyInstance, routes: (app: FastifyInstance) => void): void {
  void app.register(fastifyPlugin(async (instance: FastifyInstance) => routes(instance)));
}
