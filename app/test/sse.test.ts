import { parseSse } from '../src/web/shared/sse';

describe("reading primary's notification stream", () => {
  test('events with ids, comments (heartbeats) skipped, a partial event kept for the next chunk', () => {
    const first = parseSse(': connected\n\nid: 7\nevent: notification\ndata: {"id":"7"}\n\n: heartbeat\n\nid: 8\nevent: notif');
    expect(first.events).toEqual([{ id: '7', event: 'notification', data: '{"id":"7"}' }]);
    const second = parseSse(`${first.rest}ication\ndata: {"id":"8"}\n\n`);
    expect(second.events).toEqual([{ id: '8', event: 'notification', data: '{"id":"8"}' }]);
    expect(second.rest).toBe('');
  });
});
