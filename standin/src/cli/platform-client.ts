import {
  ADVICES_IN_FLIGHT_ROUTE,
  AUTOPILOT_ROUTE,
  AutopilotStatus,
  type AutopilotSettingsChange,
  AdoptResult,
  AdvicesInFlightReport,
  CONFIGURATION_ROUTES,
  ConfigurationAudit,
  ConfigurationDocument,
  DAILY_COHORT_ROUTE,
  DailyCohortMembers,
  QUARANTINED_ADVICES_ROUTE,
  QuarantinedAdvicesReport,
  SHADOW_ROUTES,
  ShadowReport,
  StatusResponse,
  TIMEOUT_REVERSALS_ROUTE,
  TimeoutReversalsReport,
  type ConfigurationAuditEntry,
  type ConfigurationChange,
  type Platform,
} from '@bank/shared-contracts';
import { OPERATOR_CARD_ROUTE, OperatorCardView } from '../cards/card-view-routes';
import { z } from 'zod';
import { CliError } from './cli-error';
import { INCIDENT_ROUTES, IncidentReport, IncidentSummary } from '../incidents/incident-report';

const IncidentList = z.object({ incidents: z.array(IncidentSummary) });

/** The most pages of the cohort list `standin status --cohort` reads (1,000 members each). */
const COHORT_PAGES_READ = 1_000;

// The CLI talks to each platform's configuration service over HTTP only: it must work with either
// platform gone, so every call has a timeout and "unreachable" is an answer, not a crash. The
// timeout is for a platform that is gone or hung, not for one that is merely busy: in an incident
// stand-in is taking everyone's traffic, and a configuration read queued behind it for 3 s must not
// make the engineer's change fail (STANDIN_CLI_TIMEOUT_MS overrides it).
export const DEFAULT_TIMEOUT_MS = 8_000;

export const PLATFORM_LABEL: Record<Platform, string> = { primary: 'primary', standin: 'stand-in' };

export type Reading =
  | {
      readonly platform: Platform;
      readonly url: string;
      readonly reachable: true;
      readonly configuration: ConfigurationDocument;
      readonly status: StatusResponse | undefined;
      /** Primary only: advices it could not apply and set aside; undefined when it did not say. */
      readonly quarantinedAdvices?: number;
      /** Primary only: timeout reversals it owes stand-in, and how many of them are flagged; undefined when it did not say. */
      readonly timeoutReversals?: { readonly owed: number; readonly flagged: number };
    }
  | { readonly platform: Platform; readonly url: string; readonly reachable: false; readonly reason: string };

export interface PlatformClient {
  readonly platform: Platform;
  readonly url: string;
  read(): Promise<Reading>;
  change(change: ConfigurationChange): Promise<ConfigurationDocument>;
  adopt(document: ConfigurationDocument): Promise<AdoptResult>;
  audit(limit: number): Promise<ConfigurationAuditEntry[]>;
  /** Stand-in only: the shadow agreement report. */
  shadowReport(since?: string): Promise<ShadowReport>;
  /** Stand-in only: today's cohort members it knows. */
  cohort(): Promise<DailyCohortMembers>;
  /** Stand-in only: its advices primary has not applied yet, per user. */
  advicesInFlight(): Promise<AdvicesInFlightReport>;
  /** Stand-in only: the incidents, newest first, and one's report. */
  incidents(limit: number): Promise<IncidentSummary[]>;
  incidentReport(incidentId: string): Promise<IncidentReport>;
  /** Stand-in only: what it knows of a card, by card id. */
  card(cardId: string): Promise<OperatorCardView>;
  /** Stand-in only: the autopilot's settings, evidence and actions; and a change to its settings. */
  autopilot(): Promise<AutopilotStatus>;
  changeAutopilot(change: AutopilotSettingsChange): Promise<AutopilotStatus>;
}

/** Network failures, told in words an engineer recognises. */
function unreachable(failure: unknown): string {
  const error = failure as Error & { cause?: { code?: string } };
  if (error.name === 'TimeoutError') return 'no answer within the timeout';
  const code = error.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (not running?)';
  return code ?? error.message;
}

export function platformClient(platform: Platform, url: string, token: string, timeoutMs = DEFAULT_TIMEOUT_MS): PlatformClient {
  const label = PLATFORM_LABEL[platform];
  async function call<T>(method: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (failure) {
      throw new CliError('UNREACHABLE', `${label} at ${url}: ${unreachable(failure)}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new CliError('BAD_ANSWER', `${label} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const message = `${label}: ${error?.message ?? `answered ${response.status}`}`;
      // 401: a token the platform does not know; 403: one it knows that is not an operator's (a customer's, a service's).
      if (response.status === 401 || response.status === 403)
        throw new CliError('OPERATOR_TOKEN_REFUSED', `${message}: this needs an operator token (set STANDIN_OPERATOR_TOKEN or pass --token)`);
      if (response.status === 409) throw new CliError('STALE', message);
      if (response.status === 404)
        throw new CliError('NO_CONFIGURATION_SERVICE', `${label} at ${url} has no configuration service (${response.status}); is this the right URL?`);
      // A platform that answers but cannot serve (its database down or hung) is, for a change, as
      // good as unreachable: the other platform carries the change, and this one catches up from it.
      if (response.status >= 500) throw new CliError('UNAVAILABLE', `${label} at ${url}: ${error?.message ?? `answered ${response.status}`}`);
      throw new CliError(error?.code ?? 'REFUSED', message);
    }
    const checked = schema.safeParse(parsed);
    if (!checked.success)
      throw new CliError('BAD_ANSWER', `${label} answered with a document this CLI does not understand: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    return checked.data;
  }

  return {
    platform,
    url,
    async read() {
      try {
        const configuration = await call('GET', CONFIGURATION_ROUTES.current, ConfigurationDocument);
        // Status adds sync lag and the advices in flight; a platform that serves its configuration
        // but not its status is still reachable.
        const status = await call('GET', '/status', StatusResponse).catch(() => undefined);
        const quarantined =
          platform === 'primary' ? await call('GET', `${QUARANTINED_ADVICES_ROUTE}?limit=1`, QuarantinedAdvicesReport).catch(() => undefined) : undefined;
        const reversals =
          platform === 'primary' ? await call('GET', `${TIMEOUT_REVERSALS_ROUTE}?limit=0`, TimeoutReversalsReport).catch(() => undefined) : undefined;
        return {
          platform,
          url,
          reachable: true,
          configuration,
          status,
          ...(quarantined ? { quarantinedAdvices: quarantined.count } : {}),
          ...(reversals ? { timeoutReversals: { owed: reversals.owed, flagged: reversals.flagged } } : {}),
        };
      } catch (failure) {
        if (failure instanceof CliError && failure.code !== 'UNREACHABLE' && failure.code !== 'UNAVAILABLE' && failure.code !== 'BAD_ANSWER') throw failure;
        return { platform, url, reachable: false, reason: (failure as Error).message.replace(`${label} at ${url}: `, '') };
      }
    },
    change: (change) => call('POST', CONFIGURATION_ROUTES.changes, ConfigurationDocument, change),
    adopt: (document) => call('POST', CONFIGURATION_ROUTES.adopt, AdoptResult, document),
    audit: async (limit) => (await call('GET', `${CONFIGURATION_ROUTES.audit}?limit=${limit}`, ConfigurationAudit)).entries,
    shadowReport: (since) => call('GET', `${SHADOW_ROUTES.report}${since ? `?since=${encodeURIComponent(since)}` : ''}`, ShadowReport),
    // Stand-in answers the cohort in pages; the CLI lists them all, up to COHORT_PAGES_READ pages
    // (a `next` left in the answer says the list stops there).
    cohort: async () => {
      const first = await call('GET', DAILY_COHORT_ROUTE, DailyCohortMembers);
      const members = [...first.members];
      let next = first.next;
      for (let page = 1; next !== undefined && page < COHORT_PAGES_READ; page++) {
        const more = await call('GET', `${DAILY_COHORT_ROUTE}?after=${encodeURIComponent(next)}`, DailyCohortMembers);
        members.push(...more.members);
        next = more.next;
      }
      return { day: first.day, percent: first.percent, customersKnown: first.customersKnown, members, ...(next === undefined ? {} : { next }) };
    },
    advicesInFlight: () => call('GET', ADVICES_IN_FLIGHT_ROUTE, AdvicesInFlightReport),
    incidents: async (limit) => (await call('GET', `${INCIDENT_ROUTES.list}?limit=${limit}`, IncidentList)).incidents,
    incidentReport: (incidentId) => call('GET', INCIDENT_ROUTES.report.replace(':incidentId', encodeURIComponent(incidentId)), IncidentReport),
    card: (cardId) => call('GET', OPERATOR_CARD_ROUTE.replace(':cardId', encodeURIComponent(cardId)), OperatorCardView),
    autopilot: () => call('GET', AUTOPILOT_ROUTE, AutopilotStatus),
    changeAutopilot: (change) => call('PUT', AUTOPILOT_ROUTE, AutopilotStatus, change),
  };
}
