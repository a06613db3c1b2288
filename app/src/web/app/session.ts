import { callPlatform, describeFailure } from '../shared/api';
import type { PageConfig } from '../shared/config';

// Who is signed in: the customer's app token (issued by primary at onboarding; stand-in knows it
// by its synced hash) and the account the app shows. Kept for this browser tab only.

export interface Session {
  readonly token: string;
  readonly customerId: string;
  readonly accountId: string;
  readonly holderName: string;
}

const KEY = 'bank.session';

export function savedSession(): Session | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : undefined;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

interface AccountSummary {
  readonly id: string;
  readonly customerId?: string;
  readonly holderName: string;
}

/**
 * Signs in with a token: the customer's accounts from primary, or from stand-in when primary does
 * not answer (a customer may open the app in the middle of an incident).
 */
export async function signIn(config: PageConfig, token: string): Promise<{ ok: true; session: Session } | { ok: false; message: string }> {
  let lastFailure = 'We could not reach the bank. Check your connection and try again.';
  for (const url of [config.primaryUrl, config.standinUrl]) {
    const outcome = await callPlatform<{ accounts: AccountSummary[] }>(url, '/accounts', { token, timeoutMs: 4_000 });
    if (outcome.ok) {
      const account = outcome.body.accounts[0];
      if (!account) return { ok: false, message: 'This sign-in has no account yet.' };
      if (!account.customerId) return { ok: false, message: 'The bank did not say who this account belongs to; please try again shortly.' };
      return { ok: true, session: { token, customerId: account.customerId, accountId: account.id, holderName: account.holderName } };
    }
    // A refusal (an unknown or expired token) is the answer; only silence sends us to the other platform.
    if (outcome.kind === 'refused')
      return { ok: false, message: outcome.status === 401 ? 'That token was not accepted. Check it and try again.' : describeFailure(outcome) };
    lastFailure = describeFailure(outcome);
  }
  return { ok: false, message: lastFailure };
}
