import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContractError, safeParseContract } from '@bank/shared-contracts';
import type { z } from 'zod';
import { isDatabaseUnavailable } from './db';
import { PrimaryError, errors } from './errors';

/** Validates input against its schema: a 400 naming every bad field, and nothing written. */
export function parseInput<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  const result = safeParseContract(what, schema, input);
  if (!result.ok) throw errors.invalidRequest(what, result.error.issues);
  return result.value;
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim() || undefined;
}

export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Errors become JSON with a stable code; unexpected ones are logged and never leak a stack. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'PRIMARY_ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
  app.setErrorHandler((error: FastifyError | PrimaryError | ContractError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof PrimaryError) {
      return reply.code(error.statusCode).send({ error: { code: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) } });
    }
    if ('validation' in error && error.validation) {
      return reply.code(400).send({ error: { code: 'PRIMARY_INVALID_REQUEST', message: error.message } });
    }
    if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // fastify's own 4xx: malformed JSON, body too large, unsupported media type
      return reply.code(error.statusCode).send({ error: { code: error.code ?? 'PRIMARY_BAD_REQUEST', message: error.message } });
    }
    if (isDatabaseUnavailable(error)) {
      const unavailable = errors.dependencyUnavailable("primary's database");
      request.log.warn({ err: error }, 'database unavailable: answered 503');
      return reply.code(unavailable.statusCode).send({ error: { code: unavailable.code, message: unavailable.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'PRIMARY_INTERNAL', message: 'internal error; the request may be retried with the same Idempotency-Key' } });
  });
}
