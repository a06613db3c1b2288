import { createAuthorisationStore, type CardProcessorDeps } from './authorisation-store';
import { createAuthorisations } from './authorisations';
import { createClearings } from './clearings';
import { createExpiredHolds } from './expired-holds';
import { createReversals } from './reversals';
import { createStandinAdvised } from './standin-advised';

// The scheme-facing card processor: authorisations place holds (or post, for single-message
// 0200s such as ATM cash), reversals release them, clearings settle them, stand-in's advices are
// recorded as it decided, and holds nobody cleared expire. One feature per file, over one
// authorisation store (authorisation-store.ts).

export type { ApprovedAuthorisation, ReversalMessage } from './authorisation-store';
export type CardProcessor = ReturnType<typeof createCardProcessor>;

export function createCardProcessor(deps: CardProcessorDeps) {
  const store = createAuthorisationStore(deps);
  const reversals = createReversals(deps, store);
  const { authorise, storedAnswer } = createAuthorisations(deps);
  const { clear } = createClearings(deps, store);
  const { recordStandinApproval, recordStandinDecline, recordStandinReversal, applyStandinAcknowledgedReversal } = createStandinAdvised(deps, store, reversals);
  const { expireHolds } = createExpiredHolds(deps, store);
  return {
    authorise,
    storedAnswer,
    expireHolds,
    reverse: reversals.reverse,
    clear,
    recordStandinApproval,
    recordStandinDecline,
    recordStandinReversal,
    applyStandinAcknowledgedReversal,
  };
}
