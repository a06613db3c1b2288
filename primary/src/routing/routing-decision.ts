import {
  DAILY_COHORT_COMPONENTS,
  PAYMENT_COMPONENTS,
  onStandin,
  type ConfigurationDocument,
  type StandinComponent,
  type Targeting,
} from '@bank/shared-contracts';

// Where one payment message is processed: the whole rule, with no I/O, so it can be tested
// exhaustively and costs nothing on the card path. The time is the caller's (primary's clock):
// the daily cohort turns at midnight in London, and tests must be able to set the day.

export type Destination = 'primary' | 'standin';

/** Stand-in processes the message exactly when the component's targeting, or today's cohort, covers the user. */
export function destinationFor(document: ConfigurationDocument, component: StandinComponent, userId: string | undefined, now: Date): Destination {
  return onStandin(document, component, userId, now) ? 'standin' : 'primary';
}

/** Whether today's cohort can move this component's messages at all. */
function cohortApplies(document: ConfigurationDocument, component: StandinComponent): boolean {
  return document.dailyCohort.percent > 0 && DAILY_COHORT_COMPONENTS.includes(component);
}

/** Whether a targeting rule's answer depends on the user (on its own, without the cohort). */
function targetingDependsOnUser(targeting: Targeting): boolean {
  switch (targeting.mode) {
    case 'nobody':
    case 'everyone':
      return false;
    case 'users':
      return true;
    case 'percent':
      return targeting.percent > 0;
  }
}

/**
 * Whether knowing the user can change the answer. When it cannot (nobody or 0 % with no cohort
 * for this component, or everyone) the router skips the lookup, so routing adds no database work
 * to those messages. 100 % still needs it: a message nobody owns (an unknown card) stays with
 * primary, which declines it; the same holds for a cohort of 100 %.
 */
export function userDecides(document: ConfigurationDocument, component: StandinComponent): boolean {
  const targeting = document.components[component];
  if (targeting.mode === 'everyone') return false;
  return targetingDependsOnUser(targeting) || cohortApplies(document, component);
}

/** Whether no user at all is on stand-in for this component: then nothing about the message needs looking up. */
export function nobodyOnStandin(document: ConfigurationDocument, component: StandinComponent): boolean {
  const targeting = document.components[component];
  const targetsNobody = targeting.mode === 'nobody' || (targeting.mode === 'percent' && targeting.percent === 0);
  return targetsNobody && !cohortApplies(document, component);
}

/** A card authorisation's direction is the money's: a refund (processing code 20) comes in, everything else goes out. */
export function cardAuthorisationComponent(processingCode: string): StandinComponent {
  return processingCode.startsWith('20') ? PAYMENT_COMPONENTS.card.inbound : PAYMENT_COMPONENTS.card.outbound;
}
