import type { ConfigurationDocument, StandinRules } from '@bank/shared-contracts';
import { OPERATOR } from '../../stack/services';

// Stand-in's rules are the configuration document's (issue 21), so a benchmark raises its limits
// the way an engineer would: a configuration change through stand-in's API, audited with the run's
// name. On the clusters' shared databases the rules in force before are put back afterwards.

async function configurationCall<T>(standinUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${standinUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) throw new Error(`stand-in answered ${method} ${path} with ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function setRules(standinUrl: string, reason: string, rules: (current: StandinRules) => StandinRules): Promise<StandinRules> {
  for (let attempt = 1; ; attempt++) {
    const current = await configurationCall<ConfigurationDocument>(standinUrl, 'GET', '/configuration');
    try {
      await configurationCall(standinUrl, 'POST', '/configuration/changes', {
        basedOnVersion: current.version,
        reason,
        standinRules: rules(current.standinRules),
      });
      return current.standinRules;
    } catch (error) {
      // Someone changed it in between (primary's peer sync): read again, a few times.
      if (attempt === 5 || !String(error).includes('CONFIGURATION_STALE')) throw error;
    }
  }
}

/** Raises stand-in's amount limits to `limitMinor` with no staleness schedule; the returned function puts the rules before back. */
export async function raiseStandinLimits(standinUrl: string, run: string, limitMinor: number): Promise<() => Promise<void>> {
  const before = await setRules(standinUrl, `benchmark ${run}: stand-in's limits raised so that its work is measured, not its rules`, (current) => ({
    ...current,
    maxPerPaymentMinor: limitMinor,
    maxPerAccountPerDayMinor: limitMinor,
    sinceLastHeard: { purchases: {}, cash: {} },
    staleness: [],
  }));
  return async () => {
    await setRules(standinUrl, `benchmark ${run} done: stand-in's rules as they were`, () => before);
  };
}
