import { sameConfiguration, type ConfigurationAudit, type ConfigurationDocument } from '@bank/shared-contracts';
import { timedRequest } from '../../simulator/timed-request';
import type { PlatformUrls } from '../../stack/services';
import type { InvariantContext, InvariantResult } from './invariant-result';

// Invariant 5: both configuration services converge on the same, highest version: the current
// documents are identical, and no version either platform ever recorded is higher.

async function read<T>(url: string, token: string): Promise<T | string> {
  const result = await timedRequest({ method: 'GET', url, token, giveUpMs: 5_000 });
  if (result.kind === 'no-answer') return result.reason;
  return result.status === 200 ? (result.body as T) : `HTTP ${result.status}`;
}

export async function configurationsOf(urls: PlatformUrls, token: string) {
  const [primary, standin] = await Promise.all([
    read<ConfigurationDocument>(`${urls.primary}/configuration`, token),
    read<ConfigurationDocument>(`${urls.standin}/configuration`, token),
  ]);
  return { primary, standin };
}

export async function checkConfigurationConverged(context: Pick<InvariantContext, 'urls' | 'operatorToken'>): Promise<InvariantResult> {
  const { primary, standin } = await configurationsOf(context.urls, context.operatorToken);
  const [primaryAudit, standinAudit] = await Promise.all([
    read<ConfigurationAudit>(`${context.urls.primary}/configuration/audit?limit=1`, context.operatorToken),
    read<ConfigurationAudit>(`${context.urls.standin}/configuration/audit?limit=1`, context.operatorToken),
  ]);
  const newest = (audit: ConfigurationAudit | string) => (typeof audit === 'string' ? undefined : (audit.entries[0]?.version ?? 0));
  const highestRecorded = Math.max(newest(primaryAudit) ?? 0, newest(standinAudit) ?? 0);
  const readable = typeof primary !== 'string' && typeof standin !== 'string';
  const same = readable && sameConfiguration(primary, standin);
  const highest = readable && primary.version === highestRecorded;
  const passed = same && highest;
  return {
    id: 5,
    name: 'both configuration services converge on the same, highest version',
    passed,
    summary: !readable
      ? `could not read both configurations (primary: ${typeof primary === 'string' ? primary : 'ok'}, stand-in: ${typeof standin === 'string' ? standin : 'ok'})`
      : passed
        ? `both at version ${primary.version} (the highest either recorded), identical documents`
        : `primary at version ${primary.version}, stand-in at ${standin.version}; ${same ? 'identical' : 'different'} documents; highest version recorded anywhere ${highestRecorded}`,
    evidence: {
      primary,
      standin,
      highestVersionRecorded: highestRecorded,
      auditHeads: { primary: newest(primaryAudit) ?? primaryAudit, standin: newest(standinAudit) ?? standinAudit },
    },
  };
}
