import { setUpBenchAccounts, type BenchAccount } from './bench-cards';
import { waitForStandinToSeeCards, type BenchStack } from './bench-stack';
import { openSyncProbe, type CatchUp, type SyncProbe } from './sync-progress';

// The set-up of every benchmark that needs stand-in to decide for the bench's customers: accounts
// opened, funded and carded in primary, then waited for until stand-in sees each card (with the
// customer's token) and holds every event primary produced for them (so their funding counts).

export interface SyncedAccountsParameters {
  readonly accounts: number;
  readonly fundingMinor: number;
  /** How long stand-in may take to see every bench card. */
  readonly cardSyncTimeoutMs: number;
  /** Then how long it may take to hold every event primary produced for the accounts. */
  readonly catchUpTimeoutMs: number;
}

export interface SyncedAccountsSetup {
  readonly cards: number;
  /** Opening, funding and issuing in primary. */
  readonly seconds: number;
  readonly cardsVisibleInStandinAfterSeconds: number;
  readonly catchUp: CatchUp;
  readonly logDirectory: string;
}

export interface SyncedAccounts {
  readonly accounts: readonly BenchAccount[];
  /** Open on the stack's databases for the accounts; the caller closes it. */
  readonly probe: SyncProbe;
  readonly setup: SyncedAccountsSetup;
}

const round = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/** Sets the accounts up in primary and waits until stand-in can decide for them; fails, naming what is missing, if it cannot within the timeouts. */
export async function setUpSyncedAccounts(stack: BenchStack, parameters: SyncedAccountsParameters, log: (line: string) => void): Promise<SyncedAccounts> {
  const began = Date.now();
  log(`opening, funding and issuing ${parameters.accounts} cards in primary`);
  const accounts = await setUpBenchAccounts(stack.primary.url, parameters.accounts, parameters.fundingMinor);
  const seconds = round((Date.now() - began) / 1000, 1);
  const visible = await waitForStandinToSeeCards(stack.standin.url, accounts, parameters.cardSyncTimeoutMs);
  if (!visible.done)
    throw new Error(
      `stand-in did not see ${visible.missing} of the ${accounts.length} bench cards within ${parameters.cardSyncTimeoutMs / 1000} s; logs: ${stack.logDirectory}`,
    );
  const probe = await openSyncProbe(
    stack.databases,
    accounts.map((account) => account.accountId),
  );
  try {
    const catchUp = await probe.waitForCatchUp(parameters.catchUpTimeoutMs);
    if (!catchUp.caughtUp)
      throw new Error(
        `stand-in did not receive the set-up's events within ${parameters.catchUpTimeoutMs / 1000} s (${catchUp.syncedEvents} of ${catchUp.primaryEvents}); logs: ${stack.logDirectory}`,
      );
    log(
      `${accounts.length} cards set up in ${seconds} s, all visible in stand-in ${round(visible.waitedMs / 1000, 1)} s later, every event synced ${round(catchUp.waitedMs / 1000, 1)} s after that`,
    );
    return {
      accounts,
      probe,
      setup: {
        cards: accounts.length,
        seconds,
        cardsVisibleInStandinAfterSeconds: round(visible.waitedMs / 1000, 1),
        catchUp,
        logDirectory: stack.logDirectory,
      },
    };
  } catch (error) {
    await probe.close();
    throw error;
  }
}
