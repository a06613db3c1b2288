import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../platform/http';
import { errors, PrimaryError } from '../platform/errors';
import { DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER, STREAM_RETRY_AFTER_SECONDS, streamSlots, type StreamSlots } from './stream-limit';
import { APP_TAG, BEARER, ERROR_RESPONSES } from '../platform/api-docs';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { NotificationsService } from './notifications-service';

const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const STREAM_POLL_MS = 1_000;
const HEARTBEAT_MS = 15_000;
/** How often an open stream checks its token again: a revoked or expired token's stream ends within this. */
const TOKEN_RECHECK_MS = 15_000;
/**
 * Bytes a stream may have waiting for a slow client before primary stops reading more for it
 * (node would otherwise buffer every write in memory). Past it the stream waits for the client
 * to drain, at most DRAIN_WAIT_MS, then ends: the app reconnects with Last-Event-ID and misses nothing.
 */
const MAX_BUFFERED_BYTES = 256 * 1024;
const DRAIN_WAIT_MS = 30_000;

export function notificationsRoutes(
  app: FastifyInstance,
  deps: {
    notifications: NotificationsService;
    accounts: AccountsService;
    customer: (request: FastifyRequest) => Promise<string>;
    /** Open streams per customer; none: DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER. */
    streams?: StreamSlots;
  },
): void {
  const { notifications, accounts, customer } = deps;
  const streams = deps.streams ?? streamSlots(DEFAULT_NOTIFICATION_STREAMS_PER_CUSTOMER);

  app.get(
    '/accounts/:accountId/notifications',
    {
      schema: {
        summary: "An account's notifications, newest first",
        tags: [APP_TAG],
        security: BEARER,
        params: AccountIdParams,
        querystring: ListQuery,
        response: ERROR_RESPONSES,
      },
    },
    async (request) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      const { limit } = parseInput('notifications query', ListQuery, request.query);
      return { notifications: await notifications.list(account.id, { limit }) };
    },
  );

  // Server-sent events: new notifications as they are recorded (polled from the table, so a
  // reconnecting app resumes from Last-Event-ID and misses nothing).
  app.get(
    '/accounts/:accountId/notifications/stream',
    {
      schema: {
        summary: 'New notifications as server-sent events (resume with Last-Event-ID; a few open at once per customer, then 429)',
        tags: [APP_TAG],
        security: BEARER,
        params: AccountIdParams,
        response: ERROR_RESPONSES,
      },
    },
    async (request, reply) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const customerId = await customer(request);
      const account = await accounts.findOwned(customerId, accountId);
      const release = streams.take(customerId);
      if (!release) {
        reply.header('retry-after', String(STREAM_RETRY_AFTER_SECONDS));
        throw errors.tooManyStreams(streams.max, STREAM_RETRY_AFTER_SECONDS);
      }
      let open = true;
      const closed = () => {
        open = false;
        release();
      };
      request.raw.on('close', closed);
      reply.raw.on('close', closed);
      try {
        const lastEventId = request.headers['last-event-id'];
        let after =
          typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? lastEventId : ((await notifications.list(account.id, { limit: 1 }))[0]?.id ?? '0');
        reply.hijack();
        // A hijacked reply is written raw: the headers the hooks put on the reply (CORS, for the
        // browser app reading the stream with fetch) go out only if copied here.
        const hooked = Object.entries(reply.getHeaders()).filter((header): header is [string, string | number | string[]] => header[1] !== undefined);
        reply.raw.writeHead(200, { ...Object.fromEntries(hooked), 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        // The status line and headers go at once, not with the first notification (which may be
        // hours away): the app knows it is connected, and proxies see traffic. A comment line (":")
        // every HEARTBEAT_MS keeps idle connections from being cut, and tells the app the stream lives.
        reply.raw.write(': connected\n\n');
        let lastWrite = Date.now();
        let lastTokenCheck = Date.now();
        while (open) {
          const fresh = await notifications.list(account.id, { after, limit: 100 }).catch(() => []);
          for (const notification of fresh) {
            reply.raw.write(`id: ${notification.id}\nevent: notification\ndata: ${JSON.stringify(notification)}\n\n`);
            after = notification.id;
            lastWrite = Date.now();
          }
          if (Date.now() - lastWrite >= HEARTBEAT_MS) {
            reply.raw.write(': heartbeat\n\n');
            lastWrite = Date.now();
          }
          if (reply.raw.writableLength > MAX_BUFFERED_BYTES && !(await drained(reply.raw, DRAIN_WAIT_MS))) break;
          if (Date.now() - lastTokenCheck >= TOKEN_RECHECK_MS) {
            lastTokenCheck = Date.now();
            // A token revoked (or expired) while the stream is open stops it; a database that
            // cannot answer now does not (the next check asks again).
            const stillGood = await customer(request).then(
              (id) => id === customerId,
              (error: unknown) => !(error instanceof PrimaryError && error.statusCode === 401),
            );
            if (!stillGood) break;
          }
          await new Promise((resolve) => setTimeout(resolve, STREAM_POLL_MS));
        }
        reply.raw.end();
      } finally {
        release();
      }
    },
  );
}

/** Whether a slow client took what was buffered within `timeoutMs` (false too if the connection closed). */
function drained(stream: NodeJS.WritableStream & { writableLength: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      resolve(result);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}
