import type { CardAuthorisationRequest, CardAuthorisationResponse, MessageKey } from '@bank/shared-contracts';
import type { CardProcessorDeps } from './authorisation-store';
import { authoriseInDatabase, storedAuthorisationAnswer } from './authorise-in-database';
import { DEFAULT_CARD_BUDGET_MS } from './card-budget';

// Authorisations (0100/0200): decided in the database in one round trip (authorise-in-database.ts).

export function createAuthorisations(deps: CardProcessorDeps) {
  const { clock, cards, metrics } = deps;

  /**
   * Decides an authorisation in one database round trip (authorise-in-database.ts). `deadlineAt`
   * is when the network stops waiting for primary's own answer (routes.ts keeps a little of the
   * card budget back to answer in): the database rolls the decision back rather than commit it
   * after that. A commit whose answer is lost on the way back may still have landed: the caller
   * re-reads the message key before it answers 91 (`storedAnswer`).
   */
  async function authorise(
    request: CardAuthorisationRequest,
    options: { readonly deadlineAt?: Date; readonly budgetMs?: number } = {},
  ): Promise<CardAuthorisationResponse> {
    const budgetMs = options.budgetMs ?? DEFAULT_CARD_BUDGET_MS;
    const deadlineAt = options.deadlineAt ?? new Date(Date.now() + budgetMs);
    const { response, repeated } = await authoriseInDatabase(deps.authorisationDb, request, {
      panIndex: cards.panIndexOf(request.pan),
      now: clock.now(),
      deadlineAt,
      budgetMs,
    });
    if (!repeated) metrics.cardDecisions.inc({ response_code: response.responseCode });
    return response;
  }

  /** What primary answered this message, if it has: read before answering 91 when a commit's outcome went unheard. */
  const storedAnswer = (key: MessageKey): Promise<CardAuthorisationResponse | undefined> => storedAuthorisationAnswer(deps.authorisationDb, key);

  return { authorise, storedAnswer };
}
