import { panFinder } from './pan-finder';
import { panInDatabase } from './pan-in-database';
import { panInLogs } from './pan-in-logs';
import { panInTopic } from './pan-in-topic';
import type { InvariantContext, InvariantResult } from './invariant-result';

// Invariant 7: no plaintext PAN (any card number the simulator used) in the run's service logs,
// on the `primary.events` topic since the run began, or in the stand-in database; primary's
// database is searched too, where PANs may only be stored encrypted.

export async function checkNoPlaintextPan(context: Pick<InvariantContext, 'customers' | 'logDirectory' | 'kafkaBrokers' | 'runStartedAtMs' | 'standinDb' | 'primaryDb'>): Promise<InvariantResult> {
  const finder = panFinder(context.customers.map((customer) => customer.card.pan));
  const logs = panInLogs(context.logDirectory, finder);
  const topic = await panInTopic({ brokers: context.kafkaBrokers, sinceMs: context.runStartedAtMs, accounts: new Set(context.customers.map((customer) => customer.accountId)), finder, timeoutMs: 60_000 });
  const standin = await panInDatabase(context.standinDb, finder);
  const primary = await panInDatabase(context.primaryDb, finder);
  const found = logs.hits.length + topic.hits.length + standin.hits.length + primary.hits.length;
  const passed = found === 0 && topic.complete;
  return {
    id: 7,
    name: 'no plaintext PAN in any log, topic, or the stand-in database',
    passed,
    summary: passed
      ? `${context.customers.length} PANs searched: none in ${logs.files} log files (${Math.round(logs.bytes / 1024)} KiB), ${topic.messages} topic messages (${topic.ofRunAccounts} of the run's accounts), ${standin.columns} stand-in and ${primary.columns} primary text columns`
      : `${found} places hold a PAN (logs ${logs.hits.length}, topic ${topic.hits.length}, stand-in database ${standin.hits.length}, primary database ${primary.hits.length})${topic.complete ? '' : '; the topic scan did not finish in time'}`,
    evidence: {
      pansSearched: context.customers.length,
      logs: { files: logs.files, bytes: logs.bytes, hits: logs.hits.slice(0, 20) },
      topic: { messages: topic.messages, ofRunAccounts: topic.ofRunAccounts, complete: topic.complete, hits: topic.hits.slice(0, 20) },
      standinDatabase: standin,
      primaryDatabase: primary,
    },
  };
}
