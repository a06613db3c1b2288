import type { Db } from '../platform/db';
import { PrimaryError } from '../platform/errors';
import type { AccountsService } from '../accounts/accounts-service';
import type { CardsService } from '../cards/cards-service';
import type { PaymentOwners } from './payment-router';

/** Owners through the cards and accounts services' own lookups (the card by its PAN's keyed hash). */
export function paymentOwners(deps: { db: Db; cards: CardsService; accounts: AccountsService }): PaymentOwners {
  const { db, cards, accounts } = deps;
  return {
    async ofCard(pan) {
      const card = await cards.findByPan(db, pan);
      return card ? (await accounts.find(card.accountId))?.customerId : undefined;
    },
    async ofAccount(sortCode, accountNumber) {
      try {
        return (await accounts.findByNumber(db, sortCode, accountNumber))?.customerId;
      } catch (error) {
        // Not a valid account of ours: nobody's, so primary answers it (with its rejection reason).
        if (error instanceof PrimaryError) return undefined;
        throw error;
      }
    },
  };
}
