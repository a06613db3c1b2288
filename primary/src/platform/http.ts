import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { ContractError, safeParseContract, withoutCardNumbers } from '@bank/shared-contracts';
import { z } from 'zod';
import { isDatabaseBusy, isDatabaseUnavailable } from './db';
import { PrimaryError, errors } from './errors';

/** What a 503 for primary's database tells the caller to wait before trying again. */
const DATABASE_RETRY_AFTER_SECONDS = 1;

/** Validates input against its schema: a 400 naming every bad field, and nothing written. */
export function parseInput<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  const result = safeParseContract(what, schema, input);
  if (!result.ok) throw errors.invalidRequest(what, result.error.issues);
  return result.value;
}

/**
 * An id in a path, canonical (lower case) from here on: `POT-ID` and `pot-id` are one pot, and
 * only the canonical form reaches the ledger, events and other platforms.
 */
export const idParam = (what: string) => z.uuid({ error: `expected ${what} (UUID)` }).toLowerCase();

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  return header.slice('Bearer '.length).trim() || undefined;
}

/** A credential's SHA-256: compared with timingSafeEqual, equal lengths whatever was presented. */
export const credentialDigest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Every credential comparison in primary goes through here. Both sides are hashed first, so the
 * comparison takes the same time whatever the lengths, and timingSafeEqual says nothing of how
 * much of a guess was right.
 */
export function tokensEqual(given: string, expected: string): boolean {
  return timingSafeEqual(credentialDigest(given), credentialDigest(expected));
}

/** The documented error envelope. Whatever of the caller's text it echoes (a URL, a key) loses its card numbers first. */
const envelope = (code: string, message: string, issues?: readonly { path: string; message: string }[]) => ({
  error: { code, message: withoutCardNumbers(message), ...(issues ? { issues } : {}) },
});

/**
 * fastify options for what fails before any route or handler runs: a URL that cannot be decoded,
 * a path parameter past the router's limit, headers too large or a malformed request line. Each
 * gets the same envelope as every other 4xx.
 */
export const boundaryErrorOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
  frameworkErrors(error, _request, reply) {
    const status = error.statusCode ?? 400;
    void (reply as FastifyReply).code(status).send(envelope(status === 414 ? 'PRIMARY_PATH_TOO_LONG' : 'PRIMARY_BAD_URL', error.message));
  },
  clientErrorHandler(error: Error & { code?: string }, socket: Socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'PRIMARY_HEADERS_TOO_LARGE', 'the request headers are larger than primary accepts']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'PRIMARY_REQUEST_TIMEOUT', 'the request did not arrive in time']
          : [400, 'PRIMARY_BAD_REQUEST', 'the request is not valid HTTP'];
    const body = JSON.stringify(envelope(code, message));
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
      );
    socket.destroy(error);
  },
};

/** Errors become JSON with a stable code; unexpected ones are logged and never leak a stack. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(envelope('PRIMARY_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  app.setErrorHandler((error: FastifyError | PrimaryError | ContractError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof PrimaryError) {
      return reply.code(error.statusCode).send(envelope(error.code, error.message, error.issues));
    }
    if ('validation' in error && error.validation) {
      return reply.code(400).send(envelope('PRIMARY_INVALID_REQUEST', error.message));
    }
    if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // fastify's own 4xx: malformed JSON, body too large, unsupported media type
      return reply.code(error.statusCode).send(envelope(error.code ?? 'PRIMARY_BAD_REQUEST', error.message));
    }
    if (isDatabaseUnavailable(error) || isDatabaseBusy(error)) {
      const unavailable = errors.dependencyUnavailable("primary's database");
      request.log.warn({ err: error }, isDatabaseBusy(error) ? 'database too busy to answer in time: answered 503' : 'database unavailable: answered 503');
      return reply
        .code(unavailable.statusCode)
        .header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS))
        .send({ error: { code: unavailable.code, message: unavailable.message } });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'PRIMARY_INTERNAL', message: 'internal error; the request may be retried with the same Idempotency-Key' } });
  });
}
