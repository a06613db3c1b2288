import type { PubSub } from '@google-cloud/pubsub';
import type { Readiness } from '@bank/shared-contracts';
import { answersWithin } from './answers-within';

/** A hung Pub/Sub must not hold an orchestrator's check past its own timeout. */
const PUBSUB_BUDGET_MS = 1_000;

/**
 * The advice consumer is ready when both ends of its one job answer: Pub/Sub (it lists a topic)
 * and primary (its breaker is not open). Unready takes it out of an orchestrator's rotation; it
 * does not restart it (that is /health/live), and advices wait in Pub/Sub meanwhile.
 */
export function adviceConsumerReadiness(deps: { pubsub: () => PubSub; primaryBreakerOpen: () => boolean }): () => Promise<Readiness> {
  return async () => {
    const pubsub = (await answersWithin(deps.pubsub().getTopics({ pageSize: 1, autoPaginate: false }), PUBSUB_BUDGET_MS)) ? 'ok' : 'unreachable';
    const primary = deps.primaryBreakerOpen() ? 'unreachable' : 'ok';
    return { status: pubsub === 'ok' && primary === 'ok' ? 'ready' : 'unready', checks: { pubsub, primary } };
  };
}
