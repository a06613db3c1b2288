import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../platform/http';
import { APP_TAG, BEARER, ERROR_RESPONSES } from '../platform/api-docs';
import { AccountIdParams } from '../accounts/routes';
import type { AccountsService } from '../accounts/accounts-service';
import type { NotificationsService } from './notifications-service';

const ListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const STREAM_POLL_MS = 1_000;
const HEARTBEAT_MS = 15_000;

export function notificationsRoutes(
  app: FastifyInstance,
  deps: { notifications: NotificationsService; accounts: AccountsService; customer: (request: FastifyRequest) => Promise<string> },
): void {
  const { notifications, accounts, customer } = deps;

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
        summary: 'New notifications as server-sent events (resume with Last-Event-ID)',
        tags: [APP_TAG],
        security: BEARER,
        params: AccountIdParams,
        response: ERROR_RESPONSES,
      },
    },
    async (request, reply) => {
      const { accountId } = parseInput('account path', AccountIdParams, request.params);
      const account = await accounts.findOwned(await customer(request), accountId);
      const lastEventId = request.headers['last-event-id'];
      let after =
        typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? lastEventId : ((await notifications.list(account.id, { limit: 1 }))[0]?.id ?? '0');
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      // The status line and headers go at once, not with the first notification (which may be
      // hours away): the app knows it is connected, and proxies see traffic. A comment line (":")
      // every HEARTBEAT_MS keeps idle connections from being cut, and tells the app the stream lives.
      reply.raw.write(': connected\n\n');
      let open = true;
      let lastWrite = Date.now();
      request.raw.on('close', () => (open = false));
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
        await new Promise((resolve) => setTimeout(resolve, STREAM_POLL_MS));
      }
      reply.raw.end();
    },
  );
}
