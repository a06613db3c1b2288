import { Advice, parseContract } from '@bank/shared-contracts';
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
