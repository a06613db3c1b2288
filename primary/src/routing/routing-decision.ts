import { PAYMENT_COMPONENTS, isTargeted, type ConfigurationDocument, type StandinComponent, type Targeting } from '@bank/shared-contracts';

// Where one payment message is processed: the whole rule, with no I/O, so it can be tested
// exhaustively and costs nothing on the card path.

export type Destination = 'primary' | 'standin';

/** Stand-in processes the message exactly when the component's targeting covers the user. */
export function destinationFor(document: ConfigurationDocument, component: StandinComponent, userId: string | undefined): Destination {
  return isTargeted(document.components[component], userId) ? 'standin' : 'primary';
}

/**
 * Whether knowing the user can change the answer. When it cannot (nobody, everyone, 0 %) the
 * router skips the lookup, so routing adds no database work to those messages. 100 % still needs
 * it: a message nobody owns (an unknown card) stays with primary, which declines it.
 */
export function userDecides(targeting: Targeting): boolean {
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

/** A card authorisation's direction is the money's: a refund (processing code 20) comes in, everything else goes out. */
export function cardAuthorisationComponent(processingCode: string): StandinComponent {
  return processingCode.startsWith('20') ? PAYMENT_COMPONENTS.card.inbound : PAYMENT_COMPONENTS.card.outbound;
}
