import {
  ADVICES_KNOWN_ROUTE,
  APPLIED_ADVICES_ROUTE,
  Advice,
  AdviceLogPage,
  AdvicesKnown,
  AppliedAdvicesPage,
  QUARANTINED_ADVICES_ROUTE,
  QuarantinedAdvicesReport,
  parseContract,
  type QuarantinedAdvice,
} from '@bank/shared-contracts';
import { z } from 'zod';
import type { AppliedAdvice } from './reconciliation';

const TIMEOUT_MS = 30_000;

async function getJson(url: string, token: string): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  return response.json();
}

/** Stand-in's advices created by `before` that it has not seen primary apply yet, each account's in sequence: the re-drive's candidates. */
export async function fetchStandinRedriveCandidates(standin: { url: string; token: string }, before: Date, limit: number): Promise<Advice[]> {
  const url = `${standin.url}/internal/advices?unseenAppliedBefore=${encodeURIComponent(before.toISOString())}&limit=${limit}`;
  return parseContract('stand-in advice log', z.object({ advices: z.array(Advice) }), await getJson(url, standin.token)).advices;
}

/** Advices per page of stand-in's log (and of primary's applied ones), and the most pages one reading takes (10 million advices): every loop has its limit. */
const STANDIN_LOG_PAGE = 10_000;
const STANDIN_LOG_MAX_PAGES = 1_000;

/** The query-string part that narrows a reading to some accounts. */
const accountsParameter = (accounts: readonly string[] | undefined) => (accounts === undefined ? '' : `&accounts=${accounts.join(',')}`);

/** Accounts per reading: 200 ids are 7.4 KB of query string, well inside a request head's 16 KiB. */
const ACCOUNTS_PER_READING = 200;

/** Reads every page for all accounts, or, given accounts, for each group of them in turn. */
async function forAccounts<T>(accounts: readonly string[] | undefined, read: (group: readonly string[] | undefined) => Promise<T[]>): Promise<T[]> {
  if (accounts === undefined) return read(undefined);
  const all: T[] = [];
  for (let index = 0; index < accounts.length; index += ACCOUNTS_PER_READING) all.push(...(await read(accounts.slice(index, index + ACCOUNTS_PER_READING))));
  return all;
}

/** Stand-in's advice log, the truth, from its internal API, page after page; only these accounts' when given. */
export async function fetchStandinLog(standin: { url: string; token: string }, accounts?: readonly string[], pageSize = STANDIN_LOG_PAGE): Promise<Advice[]> {
  return forAccounts(accounts, (group) => readStandinLog(standin, group, pageSize));
}

async function readStandinLog(standin: { url: string; token: string }, accounts: readonly string[] | undefined, pageSize: number): Promise<Advice[]> {
  const log: Advice[] = [];
  let after: string | undefined;
  for (let page = 0; page < STANDIN_LOG_MAX_PAGES; page++) {
    const url = `${standin.url}/internal/advices?limit=${pageSize}${accountsParameter(accounts)}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
    const read = parseContract('stand-in advice log', AdviceLogPage, await getJson(url, standin.token));
    log.push(...read.advices);
    if (read.next === undefined) return log;
    after = read.next;
  }
  throw new Error(`stand-in's advice log is longer than ${STANDIN_LOG_MAX_PAGES} pages of ${pageSize}: not read whole`);
}

/** What primary has applied, from its internal API, page after page; only these accounts' when given. */
export async function fetchPrimaryApplied(
  primary: { url: string; token: string },
  accounts?: readonly string[],
  pageSize = STANDIN_LOG_PAGE,
): Promise<AppliedAdvice[]> {
  return forAccounts(accounts, (group) => readPrimaryApplied(primary, group, pageSize));
}

async function readPrimaryApplied(
  primary: { url: string; token: string },
  accounts: readonly string[] | undefined,
  pageSize: number,
): Promise<AppliedAdvice[]> {
  const applied: AppliedAdvice[] = [];
  let after: string | undefined;
  for (let page = 0; page < STANDIN_LOG_MAX_PAGES; page++) {
    const url = `${primary.url}${APPLIED_ADVICES_ROUTE}?limit=${pageSize}${accountsParameter(accounts)}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`;
    const read = parseContract('primary applied advices', AppliedAdvicesPage, await getJson(url, primary.token));
    applied.push(...read.applied);
    if (read.next === undefined) return applied;
    after = read.next;
  }
  throw new Error(`primary's applied advices are more than ${STANDIN_LOG_MAX_PAGES} pages of ${pageSize}: not read whole`);
}

/** Most quarantined advices one reconciliation lists; beyond this the count still says how many there are. */
const QUARANTINED_LIMIT = 10_000;

/** The advices primary set aside because it could not apply them, with their reasons. */
export async function fetchPrimaryQuarantined(primary: { url: string; token: string }): Promise<QuarantinedAdvice[]> {
  return parseContract(
    'primary quarantined advices',
    QuarantinedAdvicesReport,
    await getJson(`${primary.url}${QUARANTINED_ADVICES_ROUTE}?limit=${QUARANTINED_LIMIT}`, primary.token),
  ).advices;
}

/** Of these advice ids, those primary has applied or quarantined: one call for a whole pass of candidates. */
export async function fetchPrimaryKnown(primary: { url: string; token: string }, adviceIds: readonly string[]): Promise<Set<string>> {
  const response = await fetch(`${primary.url}${ADVICES_KNOWN_ROUTE}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${primary.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ adviceIds }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`${primary.url}${ADVICES_KNOWN_ROUTE} answered HTTP ${response.status}`);
  const known = parseContract('advices primary knows', AdvicesKnown, await response.json());
  return new Set([...known.applied, ...known.quarantined]);
}
