import {
  ADVICES_KNOWN_ROUTE,
  APPLIED_ADVICES_ROUTE,
  Advice,
  AdviceLogPage,
  AdvicesKnown,
  AppliedAdvicesPage,
  QUARANTINED_ADVICES_ROUTE,
  QuarantinedAdvicesReport,
  RECONCILIATIONS_ROUTE,
  parseContract,
  type QuarantinedAdvice,
  type ReconciliationResult,
} from '@bank/shared-contracts';
import { z } from 'zod';
import type { AppliedAdvice, ReconciliationReport } from './reconciliation';

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

/** Advices per page of stand-in's log and of primary's applied ones, and the most pages one reading takes (10 million advices): every loop has its limit. */
const PAGE_SIZE = 10_000;
const MAX_PAGES = 1_000;

/** Accounts per reading: 200 ids are 7.4 KB of query string, well inside a request head's 16 KiB. */
const ACCOUNTS_PER_READING = 200;

/**
 * Every page of a keyset-paged list (stand-in's advice log, primary's applied advices: `?limit`,
 * `&after=` the previous page's `next`); given accounts, only theirs, read for each group of them in turn.
 */
async function readAllPages<T>(
  source: { url: string; token: string; what: string },
  accounts: readonly string[] | undefined,
  pageSize: number,
  readPage: (body: unknown) => { rows: T[]; next?: string },
): Promise<T[]> {
  const rows: T[] = [];
  const groups =
    accounts === undefined
      ? [undefined]
      : Array.from({ length: Math.ceil(accounts.length / ACCOUNTS_PER_READING) }, (_, index) =>
          accounts.slice(index * ACCOUNTS_PER_READING, (index + 1) * ACCOUNTS_PER_READING),
        );
  for (const group of groups) {
    const narrowed = group === undefined ? '' : `&accounts=${group.join(',')}`;
    let after: string | undefined;
    for (let page = 0; ; page++) {
      if (page === MAX_PAGES) throw new Error(`${source.what}: more than ${MAX_PAGES} pages of ${pageSize}, not read whole`);
      const read = readPage(
        await getJson(`${source.url}?limit=${pageSize}${narrowed}${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`, source.token),
      );
      rows.push(...read.rows);
      if (read.next === undefined) break;
      after = read.next;
    }
  }
  return rows;
}

/** Stand-in's advice log, the truth, from its internal API, page after page; only these accounts' when given. */
export async function fetchStandinLog(standin: { url: string; token: string }, accounts?: readonly string[], pageSize = PAGE_SIZE): Promise<Advice[]> {
  return readAllPages({ url: `${standin.url}/internal/advices`, token: standin.token, what: "stand-in's advice log" }, accounts, pageSize, (body) => {
    const page = parseContract('stand-in advice log', AdviceLogPage, body);
    return { rows: page.advices, next: page.next };
  });
}

/** What primary has applied, from its internal API, page after page; only these accounts' when given. */
export async function fetchPrimaryApplied(
  primary: { url: string; token: string },
  accounts?: readonly string[],
  pageSize = PAGE_SIZE,
): Promise<AppliedAdvice[]> {
  return readAllPages(
    { url: `${primary.url}${APPLIED_ADVICES_ROUTE}`, token: primary.token, what: "primary's applied advices" },
    accounts,
    pageSize,
    (body) => {
      const page = parseContract('primary applied advices', AppliedAdvicesPage, body);
      return { rows: page.applied, next: page.next };
    },
  );
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

/** The result, summed up, recorded in stand-in for the incident report (RECONCILIATIONS_ROUTE). */
export async function recordInStandin(
  standin: { url: string; token: string },
  report: ReconciliationReport,
  scope: 'all' | 'accounts',
  redriven: number | undefined,
): Promise<void> {
  const sum = (count: (account: ReconciliationReport['accounts'][number]) => number) => report.accounts.reduce((total, account) => total + count(account), 0);
  const result: ReconciliationResult = {
    checkedAt: report.checkedAt,
    clean: report.clean,
    scope,
    standinAdvices: report.standinAdvices,
    primaryApplied: report.primaryApplied,
    accountsNotClean: report.accounts.length,
    missing: sum((account) => account.missing.length),
    duplicated: sum((account) => account.duplicated.length),
    diverging: sum((account) => account.diverging.length),
    quarantined: report.quarantined.length,
    appliedWithoutEffect: report.appliedWithoutEffect.length,
    ...(redriven === undefined ? {} : { redriven }),
  };
  const response = await fetch(`${standin.url}${RECONCILIATIONS_ROUTE}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${standin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(result),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`stand-in answered HTTP ${response.status}`);
}
