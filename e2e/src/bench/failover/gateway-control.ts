import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import { AUTOPILOT_ROUTE, CONFIGURATION_ROUTES } from '@bank/shared-contracts';
import { OPERATOR } from '../../stack/services';
import { pollUntil } from '../shared/bench-stack';

// What the failover benchmark asks of the gateway and of stand-in's configuration service: where
// the gateway sends traffic now, when it said it switched (its own log), and an operator's
// direct-connect change through stand-in's configuration API (the gateway reads stand-in's).

export interface GatewayRouting {
  readonly destination: string;
  readonly cause: string;
  readonly primaryBreaker: string;
  readonly autoFailover: boolean;
  readonly configuration: { readonly version: number | null; readonly directConnect: boolean | null };
}

export async function gatewayRouting(gatewayUrl: string): Promise<GatewayRouting> {
  const response = await fetch(`${gatewayUrl}/routing`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`gateway /routing answered ${response.status}`);
  return (await response.json()) as GatewayRouting;
}

/**
 * Waits until the gateway is back to normal: traffic to primary with primary's breaker closed
 * (with failover off, an open breaker still "routes" to primary but answers 504). Fails naming
 * where it still is.
 */
export async function waitForGatewayOnPrimary(gatewayUrl: string, timeoutMs: number): Promise<number> {
  let last: GatewayRouting | undefined;
  const { done, waitedMs } = await pollUntil(async () => {
    last = await gatewayRouting(gatewayUrl);
    return last.destination === 'primary' && last.primaryBreaker === 'closed';
  }, timeoutMs);
  if (!done)
    throw new Error(
      `the gateway is not back on primary after ${timeoutMs / 1000} s: traffic to ${last?.destination ?? '?'} (${last?.cause ?? 'no /routing answer'}), primary's breaker ${last?.primaryBreaker ?? '?'}`,
    );
  return waitedMs;
}

export interface LoggedSwitch {
  /** The gateway's own time for the log line (pino, epoch ms). */
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  readonly cause: string;
}

/** The gateway's `destination_switch` log lines at or after `sinceMs`. */
export function gatewaySwitchesLogged(logFile: string, sinceMs: number): LoggedSwitch[] {
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('destination_switch'))
    .map((line) => JSON.parse(line) as { time?: number; event?: string; from?: string; to?: string; cause?: string })
    .filter((line) => line.event === 'destination_switch' && typeof line.time === 'number' && line.time >= sinceMs)
    .map((line) => ({ atMs: line.time as number, from: String(line.from), to: String(line.to), cause: String(line.cause) }));
}

async function operatorRequest<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${OPERATOR.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as T };
}

/**
 * Turns direct connect on or off through stand-in's configuration API, as the incident engineer
 * would (`standin direct-connect on`): based on the version stand-in holds now, once more if
 * another change got in between (409). Returns the new version.
 */
export async function changeDirectConnect(standinUrl: string, directConnect: boolean, reason: string): Promise<{ version: number }> {
  for (let attempt = 1; ; attempt++) {
    const current = await operatorRequest<{ version?: number }>('GET', `${standinUrl}${CONFIGURATION_ROUTES.current}`);
    if (current.status !== 200 || typeof current.body.version !== 'number')
      throw new Error(`stand-in's configuration could not be read: HTTP ${current.status}`);
    const changed = await operatorRequest<{ version?: number; error?: { code?: string; message?: string } }>(
      'POST',
      `${standinUrl}${CONFIGURATION_ROUTES.changes}`,
      { basedOnVersion: current.body.version, reason, directConnect },
    );
    if (changed.status === 200 && typeof changed.body.version === 'number') return { version: changed.body.version };
    if (changed.status !== 409 || attempt >= 2)
      throw new Error(
        `stand-in refused the direct-connect change: HTTP ${changed.status} ${changed.body.error?.code ?? ''} ${changed.body.error?.message ?? ''}`.trimEnd(),
      );
  }
}

/**
 * The incident engineer's own command at the moment of the kill: `standin direct-connect on --yes`,
 * the real CLI in a process of its own (its start, its reading of both platforms, primary refusing
 * the connection, its change to stand-in). Returns the version the CLI reports, or fails with its words.
 */
export async function engineerTurnsDirectConnectOn(urls: { primary: string; standin: string }, reason: string): Promise<{ version: number }> {
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPOSITORY_ROOT, 'standin/bin/standin.cjs'), 'direct-connect', 'on', '--yes', '--json', '--reason', reason],
      { env: { ...process.env, PRIMARY_URL: urls.primary, STANDIN_URL: urls.standin, STANDIN_OPERATOR_TOKEN: OPERATOR.token }, timeout: 30_000 },
      (error, out, err) => resolve({ stdout: out, stderr: err, code: error ? Number((error as { code?: number }).code ?? 1) : 0 }),
    );
  });
  const outcome = JSON.parse(stdout || '{}') as { after?: { version?: number } };
  if (code !== 0 || typeof outcome.after?.version !== 'number') throw new Error(`standin direct-connect on failed (exit ${code}): ${stderr || stdout}`);
  return { version: outcome.after.version };
}

/** Arms the autopilot in stand-in (PUT /autopilot) for these components with this hold, or turns it off. */
export async function setAutopilot(
  standinUrl: string,
  change: {
    mode: 'on' | 'off';
    optIn?: Partial<Record<'cardPayments' | 'fasterPayments' | 'apps' | 'directConnect', boolean>>;
    holdMs?: number;
    reason: string;
  },
): Promise<void> {
  const response = await fetch(`${standinUrl}${AUTOPILOT_ROUTE}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${OPERATOR.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(change),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`stand-in refused the autopilot change: HTTP ${response.status} ${await response.text()}`);
}

/** The autopilot's configuration change after `sinceMs` (stand-in's audit), if it made one. */
export async function autopilotChangeSince(standinUrl: string, sinceMs: number): Promise<{ version: number; atMs: number; reason: string } | undefined> {
  const audit = await operatorRequest<{ entries?: { version: number; document: { updatedBy: string; updatedAt: string; reason: string } }[] }>(
    'GET',
    `${standinUrl}${CONFIGURATION_ROUTES.audit}?limit=20`,
  );
  const entry = (audit.body.entries ?? [])
    .filter((row) => row.document.updatedBy === 'autopilot' && Date.parse(row.document.updatedAt) >= sinceMs)
    .sort((a, b) => a.version - b.version)[0];
  return entry ? { version: entry.version, atMs: Date.parse(entry.document.updatedAt), reason: entry.document.reason } : undefined;
}

/** Everyone back on primary and direct connect off, as the engineer decides after the autopilot's incident. */
export async function everyoneBackOnPrimary(standinUrl: string, reason: string): Promise<void> {
  const nobody = { mode: 'nobody' };
  for (let attempt = 1; ; attempt++) {
    const current = await operatorRequest<{ version?: number }>('GET', `${standinUrl}${CONFIGURATION_ROUTES.current}`);
    const changed = await operatorRequest<{ error?: { message?: string } }>('POST', `${standinUrl}${CONFIGURATION_ROUTES.changes}`, {
      basedOnVersion: current.body.version,
      reason,
      directConnect: false,
      components: { cardPaymentsInbound: nobody, cardPaymentsOutbound: nobody, fasterPaymentsInbound: nobody, fasterPaymentsOutbound: nobody, app: nobody },
    });
    if (changed.status === 200) return;
    if (changed.status !== 409 || attempt >= 3)
      throw new Error(`stand-in refused to move everyone back: HTTP ${changed.status} ${changed.body.error?.message ?? ''}`);
  }
}
