import { useEffect } from 'preact/hooks';
import { callPlatform, describeFailure } from '../shared/api';
import { formatAge, formatMinor } from '../shared/money';
import { useLoad, valueOf } from '../shared/use-load';
import { CardsPanel } from './CardsPanel';
import type { ExperienceProps } from './FullExperience';
import { SendMoney, type Payee } from './SendMoney';
import { TransactionsList, type TransactionRow } from './TransactionsList';

interface StandinAccount {
  readonly id: string;
  readonly holderName: string;
  readonly balance?: {
    readonly spendableMinor: number;
    /** How current stand-in's copy of the account is (now − its sync lag); absent from an older stand-in. */
    readonly asOf?: string;
    readonly syncLagMs?: number;
  };
}

/** What the app cannot do while stand-in serves it: shown as unavailable, never as broken. */
const UNAVAILABLE = ['Pots', 'Adding or removing payees', 'Older transactions', 'Live notifications', 'Statements and account settings'];

/**
 * The simplified experience while primary is having problems, from stand-in's own API: the
 * balance with how fresh it is, recent payments (each once, whichever platform knows it), freezing
 * cards and sending money.
 */
export function StandinExperience(props: ExperienceProps & { readonly syncLagMs: number | undefined }) {
  const { baseUrl, session } = props;
  const key = `${baseUrl}|${session.accountId}`;
  const [account, reloadAccount] = useLoad(() => callPlatform<StandinAccount>(baseUrl, `/accounts/${session.accountId}`, { token: session.token }), key, 5_000);
  const [recent, reloadRecent] = useLoad(
    () => callPlatform<{ transactions: TransactionRow[] }>(baseUrl, `/accounts/${session.accountId}/transactions`, { token: session.token }),
    key,
    5_000,
  );
  // A payment is over (here, or on the other platform before a flip): read the balance and transactions again.
  useEffect(() => {
    if (props.refreshSignal === 0) return;
    reloadAccount();
    reloadRecent();
  }, [props.refreshSignal, reloadAccount, reloadRecent]);
  const [payees] = useLoad(() => callPlatform<{ payees: Payee[] }>(baseUrl, `/accounts/${session.accountId}/payees`, { token: session.token }), key);
  const balance = valueOf(account)?.balance;
  const loadedAt = account.state === 'ready' ? account.at : Date.now();
  // Stand-in says how current its copy is; an older one only says its lag in /status.
  const asOf = balance?.asOf ? Date.parse(balance.asOf) : props.syncLagMs !== undefined ? loadedAt - props.syncLagMs : undefined;

  return (
    <div class="experience standin">
      <section class="panel balance" aria-labelledby="balance-title">
        <h2 id="balance-title">Balance</h2>
        {account.state === 'failed' && (
          <p class="error" role="alert">
            {describeFailure(account.failure)}
          </p>
        )}
        {balance ? (
          <>
            <p class="big" data-testid="available-balance">
              {formatMinor(balance.spendableMinor)} <span class="label">available to spend</span>
            </p>
            {asOf !== undefined && (
              <p class="as-of" data-testid="balance-as-of">
                As of{' '}
                <time dateTime={new Date(asOf).toISOString()}>
                  {new Date(asOf).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })}
                </time>{' '}
                ({formatAge(Math.max(0, Date.now() - asOf))}). Payments still on their way to us may not show yet.
              </p>
            )}
          </>
        ) : (
          account.state === 'loading' && <p class="muted">Loading…</p>
        )}
      </section>
      <SendMoney
        target={props.target}
        baseUrl={baseUrl}
        token={session.token}
        accountId={session.accountId}
        payees={valueOf(payees)?.payees}
        draft={props.draft}
        setDraft={props.setDraft}
        attempt={props.attempt}
        setAttempt={props.setAttempt}
        onFinished={props.onPaymentFinished}
      />
      <CardsPanel baseUrl={baseUrl} token={session.token} accountId={session.accountId} />
      <section class="panel wide" aria-labelledby="recent-title">
        <h2 id="recent-title">Recent transactions</h2>
        {recent.state === 'failed' && (
          <p class="error" role="alert">
            {describeFailure(recent.failure)}
          </p>
        )}
        {valueOf(recent) ? <TransactionsList rows={valueOf(recent)!.transactions} label="Recent transactions" /> : <p class="muted">Loading…</p>}
      </section>
      <section class="panel" aria-labelledby="unavailable-title">
        <h2 id="unavailable-title">Not available right now</h2>
        <p>These come back as soon as we have fixed the problem. Nothing you have is lost.</p>
        <ul class="unavailable">
          {UNAVAILABLE.map((feature) => (
            <li key={feature}>{feature}</li>
          ))}
        </ul>
      </section>
    </div>
  );
}
