import { Advice, QUARANTINED_ADVICES_ROUTE, QuarantinedAdvicesReport, parseContract, type QuarantinedAdvice } from '@bank/shared-contracts';
import { z } from 'zod';
import type { AppliedAdvice } from './reconciliation';

const TIMEOUT_MS = 30_000;

async function getJson(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
}

/** Stand-in's advice log, the truth, from its internal API. */
export async function fetchStandinLog(standin: { url: string; token: string }): Promise<Advice[]> {
  return parseContract('stand-in advice log', z.object({ advices: z.array(Advice) }), await getJson(`${standin.url}/internal/advices`, standin.token)).advices;
}

const Applied = z.object({ applied: z.array(z.object({ adviceId: z.string(), accountId: z.string(), sequence: z.number(), type: z.string(), correlationId: z.string(), note: z.string().optional() })) });

/** What primary has applied, from its internal API. */
export async function fetchPrimaryApplied(primary: { url: string; token: string }): Promise<AppliedAdvice[]> {
  return parseContract('primary applied advices', Applied, await getJson(`${primary.url}/internal/advices/applied`, primary.token)).applied;
}

/** Most quarantined advices one reconciliation lists; beyond this the count still says how many there are. */
const QUARANTINED_LIMIT = 10_000;

/** The advices primary set aside because it could not apply them, with their reasons. */
export async function fetchPrimaryQuarantined(primary: { url: string; token: string }): Promise<QuarantinedAdvice[]> {
  return parseContract('primary quarantined advices', QuarantinedAdvicesReport, await getJson(`${primary.url}${QUARANTINED_ADVICES_ROUTE}?limit=${QUARANTINED_LIMIT}`, primary.token)).advices;
}
