import type { Logger } from 'pino';
import { CONFIGURATION_ROUTES, ConfigurationDocument, safeParseContract } from '@bank/shared-contracts';
import type { Routing } from './routing';

export type ConfigurationRead = { readonly ok: true; readonly document: ConfigurationDocument } | { readonly ok: false; readonly problem: string };

/**
 * One read of stand-in's configuration document. It comes from stand-in, not primary, because the
 * gateway must be able to turn direct connect on exactly when primary is completely down.
 */
export async function readStandinConfiguration(options: { url: string; token: string; timeoutMs: number }): Promise<ConfigurationRead> {
  let response: Response;
  try {
    response = await fetch(`${options.url}${CONFIGURATION_ROUTES.current}`, {
      headers: { authorization: `Bearer ${options.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const timedOut = (error as Error).name === 'TimeoutError';
    return { ok: false, problem: timedOut ? `no answer within ${options.timeoutMs} ms` : `unreachable (${cause ?? (error as Error).message})` };
  }
  const text = await response.text().catch(() => '');
  if (response.status !== 200) {
    let detail = '';
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      detail = body.error ? `: ${body.error.code ?? ''} ${body.error.message ?? ''}`.trimEnd() : '';
    } catch {
      // not JSON: the status alone says enough
    }
    return { ok: false, problem: `answered HTTP ${response.status}${detail}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'answered with a body that is not JSON' };
  }
  const parsed = safeParseContract("stand-in's configuration document", ConfigurationDocument, json);
  if (!parsed.ok) return { ok: false, problem: parsed.error.message };
  return { ok: true, document: parsed.value };
}

export interface ConfigurationPoller {
  /** The first read, made at once, so the gateway does not begin taking traffic on a guess. */
  readonly firstRead: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads stand-in's configuration every `intervalMs`, one read at a time. When stand-in cannot be
 * read, the last document read stays in force (never read: traffic goes to primary), and the
 * outage is logged once when it starts and once when it ends, not on every poll.
 */
export function startConfigurationPoller(deps: {
  url: string;
  token: string;
  intervalMs: number;
  timeoutMs: number;
  routing: Routing;
  logger: Logger;
  now: () => Date;
}): ConfigurationPoller {
  let unreadableSince: Date | undefined;
  let lastVersion: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void>;

  const poll = async () => {
    const read = await readStandinConfiguration({ url: deps.url, token: deps.token, timeoutMs: deps.timeoutMs });
    if (read.ok) {
      if (unreadableSince) {
        deps.logger.info(
          { event: 'configuration_readable', outageMs: deps.now().getTime() - unreadableSince.getTime(), version: read.document.version },
          "stand-in's configuration can be read again",
        );
        unreadableSince = undefined;
      }
      if (read.document.version !== lastVersion) {
        deps.logger.info(
          {
            event: 'configuration_version',
            version: read.document.version,
            directConnect: read.document.directConnect,
            updatedBy: read.document.updatedBy,
            reason: read.document.reason,
          },
          `read stand-in's configuration version ${read.document.version}`,
        );
        lastVersion = read.document.version;
      }
      deps.routing.configurationRead(read.document, deps.now());
      return;
    }
    deps.routing.configurationUnreadable(read.problem);
    if (!unreadableSince) {
      unreadableSince = deps.now();
      const keeping =
        lastVersion === undefined
          ? 'none was ever read, so traffic goes to primary'
          : `keeping version ${lastVersion} (direct connect ${deps.routing.inputs().directConnect ? 'on' : 'off'})`;
      deps.logger.warn(
        { event: 'configuration_unreadable', problem: read.problem, url: `${deps.url}${CONFIGURATION_ROUTES.current}` },
        `stand-in's configuration cannot be read: ${read.problem}; ${keeping}`,
      );
    }
  };

  const loop = async () => {
    await poll().catch((error: unknown) => deps.logger.error({ err: error }, "reading stand-in's configuration failed unexpectedly"));
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = loop();
    }, deps.intervalMs);
  };
  inFlight = loop();

  return {
    firstRead: inFlight,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
