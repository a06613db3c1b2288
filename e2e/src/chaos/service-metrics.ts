import { timedRequest } from '../simulator/timed-request';

/** A service's Prometheus counters whose names start with `prefix`, by full series name: what a scenario reports as evidence. */
export async function countersOf(serviceUrl: string, prefix: string): Promise<Record<string, number>> {
  const result = await timedRequest({ method: 'GET', url: `${serviceUrl}/metrics`, giveUpMs: 5_000 });
  // Not JSON, so the body is the exposition text as it came.
  if (result.kind === 'no-answer' || result.status !== 200 || typeof result.body !== 'string') return {};
  const counters: Record<string, number> = {};
  for (const line of result.body.split('\n')) {
    if (!line.startsWith(prefix) || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    counters[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return counters;
}
