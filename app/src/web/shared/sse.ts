// Server-sent events over fetch: EventSource cannot send the customer's bearer token. Reads
// `id:`/`event:`/`data:` lines, resumes with Last-Event-ID after a drop (the server keeps the
// notifications), waits longer after each failure (at most 30 s), and honours Retry-After on a 429.

export interface SseEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

export interface SseOptions {
  readonly url: string;
  readonly token: string;
  readonly onEvent: (event: SseEvent) => void;
  readonly onState?: (state: 'open' | 'reconnecting' | 'ended') => void;
}

const MAX_BACKOFF_MS = 30_000;

/** Parses one chunk of the stream's text; returns the events completed and what is left over. */
export function parseSse(buffer: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ ...(id === undefined ? {} : { id }), event, data: data.join('\n') });
  }
  return { events, rest };
}

/** Follows the stream until the returned function is called. */
export function followSse(options: SseOptions): () => void {
  const controller = new AbortController();
  let lastEventId: string | undefined;
  let backoffMs = 1_000;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(options.url, {
          headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
          signal: controller.signal,
        });
        if (response.status === 429) {
          await sleep(Math.min(MAX_BACKOFF_MS, Number(response.headers.get('retry-after') ?? 5) * 1000));
          continue;
        }
        // Signed out, or no such account: retrying cannot help (the app asks the customer to sign in again).
        if (response.status === 401 || response.status === 403 || response.status === 404) {
          options.onState?.('ended');
          return;
        }
        if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
        options.onState?.('open');
        backoffMs = 1_000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseSse(buffer + value);
          buffer = parsed.rest;
          for (const event of parsed.events) {
            if (event.id !== undefined) lastEventId = event.id;
            options.onEvent(event);
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      }
      options.onState?.('reconnecting');
      await sleep(backoffMs);
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    }
  })();
  return () => controller.abort();
}
