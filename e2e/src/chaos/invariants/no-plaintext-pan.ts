import { panInAdviceTopics } from './pan-in-advice-topics';
import { panFinder } from './pan-finder';
import { panInDatabase } from './pan-in-database';
import { panInLogs } from './pan-in-logs';
import { panInTopic } from './pan-in-topic';
import type { InvariantContext, InvariantResult } from './invariant-result';

// Invariant 7: no plaintext PAN (any card number the simulator used) in the run's service logs,
// on the `primary.events` topic since the run began, on the Pub/Sub advice and dead-letter topics,
// in any answer the networks received (error bodies included), or in the stand-in database;
// primary's database is searched too, where PANs may only be stored encrypted.

export async function checkNoPlaintextPan(
  context: Pick<
    InvariantContext,
    'customers' | 'logDirectory' | 'kafkaBrokers' | 'primaryEventsTopic' | 'runStartedAtMs' | 'standinDb' | 'primaryDb' | 'exchanges' | 'pubsub'
  >,
): Promise<InvariantResult> {
  const finder = panFinder(context.customers.map((customer) => customer.card.pan));
  const logs = panInLogs(context.logDirectory, finder);
  const topic = await panInTopic({
    brokers: context.kafkaBrokers,
    topic: context.primaryEventsTopic,
    sinceMs: context.runStartedAtMs,
    accounts: new Set(context.customers.map((customer) => customer.accountId)),
    finder,
    timeoutMs: 60_000,
  });
  const advices = context.pubsub ? await panInAdviceTopics({ ...context.pubsub, finder, timeoutMs: 60_000 }) : undefined;
  const standin = await panInDatabase(context.standinDb, finder);
  const primary = await panInDatabase(context.primaryDb, finder);
  // Every answer the networks got, error bodies included (the simulator checked each as it came).
  const answers = context.exchanges
    .filter((exchange) => exchange.panInAnswer)
    .map((exchange) => ({ seq: exchange.seq, kind: exchange.kind, httpStatus: exchange.httpStatus, detail: exchange.detail }));
  const found = logs.hits.length + topic.hits.length + standin.hits.length + primary.hits.length + answers.length + (advices?.hits.length ?? 0);
  const passed = found === 0 && topic.complete && (advices?.complete ?? true);
  return {
    id: 7,
    name: 'no plaintext PAN in any log, topic, or the stand-in database',
    passed,
    summary: passed
      ? `${context.customers.length} PANs searched: none in ${logs.files} log files (${Math.round(logs.bytes / 1024)} KiB), ${topic.messages} topic messages (${topic.ofRunAccounts} of the run's accounts), ${advices ? `${advices.messages} advice and dead-letter messages` : 'advice topics not scanned'}, ${standin.columns} stand-in and ${primary.columns} primary text columns, ${context.exchanges.length} answers the simulators received`
      : `${found} places hold a PAN (logs ${logs.hits.length}, topic ${topic.hits.length}, stand-in database ${standin.hits.length}, primary database ${primary.hits.length}, answers to the networks ${answers.length}, advice topics ${advices?.hits.length ?? 0})${topic.complete ? '' : '; the topic scan did not finish in time'}${advices && !advices.complete ? '; the advice topics scan did not finish' : ''}`,
    evidence: {
      pansSearched: context.customers.length,
      logs: { files: logs.files, bytes: logs.bytes, hits: logs.hits.slice(0, 20) },
      topic: { messages: topic.messages, ofRunAccounts: topic.ofRunAccounts, complete: topic.complete, hits: topic.hits.slice(0, 20) },
      standinDatabase: standin,
      primaryDatabase: primary,
      adviceTopics: advices ? { messages: advices.messages, complete: advices.complete, hits: advices.hits.slice(0, 20) } : 'not scanned',
      answersToTheNetworks: { checked: context.exchanges.length, withAPan: answers.slice(0, 20) },
    },
  };
}
