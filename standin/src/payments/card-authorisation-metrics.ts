import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { CardAuthorisationDependencies } from './card-authorisation';

// What card-authorisation.ts reports, as metrics and (at most one warning per 5 s per kind, so a
// hung database does not flood the log) as log lines.

type Observers = Required<Pick<CardAuthorisationDependencies, 'onBudgetExceeded' | 'onOutcomeUnknown' | 'onDatabaseCall'>>;

const WARNING_INTERVAL_MS = 5_000;

export function cardAuthorisationObservers(registry: Registry, logger: Logger, budgetMs: number): Observers {
  const calls = new Counter({
    name: 'standin_card_database_calls_total',
    help: "Statements stand-in's card authorisations sent to its database (one per authorisation unless something went wrong)",
    registers: [registry],
  });
  const overBudget = new Counter({
    name: 'standin_card_budget_exceeded_total',
    help: 'Card authorisations answered 91 because they could not be decided within the budget, nothing approved: pool (no connection in time) or database (it rolled back)',
    labelNames: ['stage'],
    registers: [registry],
  });
  const unknown = new Counter({
    name: 'standin_card_outcome_unknown_total',
    help: 'Card authorisations whose outcome stand-in could not hear: settled from the message key, or unsettled (not answered 91)',
    labelNames: ['settled'],
    registers: [registry],
  });
  const lastWarned = new Map<string, number>();
  const warn = (kind: string, fields: Record<string, unknown>, message: string) => {
    const now = Date.now();
    if (now - (lastWarned.get(kind) ?? 0) < WARNING_INTERVAL_MS) return;
    lastWarned.set(kind, now);
    logger.warn(fields, message);
  };
  return {
    onDatabaseCall: () => calls.inc(),
    onBudgetExceeded: (stage) => {
      overBudget.inc({ stage });
      warn(`budget:${stage}`, { stage, budgetMs }, 'card authorisation over its budget: answered 91, nothing approved (one warning per 5 s)');
    },
    onOutcomeUnknown: (settled) => {
      unknown.inc({ settled });
      if (settled === 'unsettled')
        logger.error({ budgetMs }, "card authorisation outcome still unknown: not answered 91; the caller's timeout reversal covers it");
      else warn('unknown', { budgetMs }, 'card authorisation outcome was unknown: settled from its message key (one warning per 5 s)');
    },
  };
}
