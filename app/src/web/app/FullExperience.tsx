import { useEffect, useState } from 'preact/hooks';
import { callPlatform, describeFailure } from '../shared/api';
import { formatMinor } from '../shared/money';
import { useLoad, valueOf } from '../shared/use-load';
import { CardsPanel } from './CardsPanel';
import { NotificationsPanel } from './NotificationsPanel';
import { PayeesPanel } from './PayeesPanel';
import { PotsPanel } from './PotsPanel';
import { SendMoney, type Payee } from './SendMoney';
import type { SendAttempt, SendDraft, SendTarget } from './send-money';
import type { Session } from './session';
import { TransactionsList, type TransactionRow } from './TransactionsList';

interface Account {
  readonly id: string;
  readonly holderName: string;
  readonly sortCode: string;
  readonly accountNumber: string;
  readonly balance: { readonly settledMinor: number; readonly heldMinor: number; readonly availableMinor: number; readonly overdraftLimitMinor: number };
}

const PAGE = 10;

export interface ExperienceProps {
  readonly baseUrl: string;
  readonly session: Session;
  readonly draft: SendDraft;
  readonly setDraft: (draft: SendDraft) => void;
  readonly attempt: SendAttempt | undefined;
  readonly setAttempt: (attempt: SendAttempt | undefined) => void;
  readonly target: SendTarget;
  /** Changes when a payment is over: the balance and transactions are read again. */
  readonly refreshSignal: number;
  readonly onPaymentFinished: () => void;
}

/** The full app, from primary: balance, the feed, cards, pots, payees, sending money, notifications. */
export function FullExperience(props: ExperienceProps) {
  const { baseUrl, session } = props;
  const key = `${baseUrl}|${session.accountId}`;
  const [account, reloadAccount] = useLoad(() => callPlatform<Account>(baseUrl, `/accounts/${session.accountId}`, { token: session.token }), key, 5_000);
  const [feed, reloadFeed] = useLoad(
    () =>
      callPlatform<{ transactions: TransactionRow[]; nextCursor?: string }>(baseUrl, `/accounts/${session.accountId}/transactions?limit=${PAGE}`, {
        token: session.token,
      }),
    key,
    5_000,
  );
  const [payees, reloadPayees] = useLoad(
    () => callPlatform<{ payees: Payee[] }>(baseUrl, `/accounts/${session.accountId}/payees`, { token: session.token }),
    key,
  );
  const [older, setOlder] = useState<{ rows: TransactionRow[]; next?: string; error?: string; loading?: boolean }>({ rows: [] });
  const refresh = () => {
    reloadAccount();
    reloadFeed();
  };
  // A payment is over (here, or on the other platform before a flip): read the balance and feed again.
  useEffect(() => {
    if (props.refreshSignal === 0) return;
    reloadAccount();
    reloadFeed();
  }, [props.refreshSignal, reloadAccount, reloadFeed]);

  const firstPage = valueOf(feed);
  const next = older.rows.length > 0 ? older.next : firstPage?.nextCursor;
  const loadOlder = async () => {
    if (!next || older.loading) return;
    setOlder((current) => ({ ...current, loading: true }));
    const outcome = await callPlatform<{ transactions: TransactionRow[]; nextCursor?: string }>(
      baseUrl,
      `/accounts/${session.accountId}/transactions?limit=${PAGE}&before=${encodeURIComponent(next)}`,
      { token: session.token },
    );
    setOlder((current) =>
      outcome.ok
        ? {
            rows: [...current.rows, ...outcome.body.transactions.filter((row) => !current.rows.some((seen) => seen.id === row.id))],
            ...(outcome.body.nextCursor ? { next: outcome.body.nextCursor } : {}),
          }
        : { ...current, loading: false, error: describeFailure(outcome) },
    );
  };
  const balance = valueOf(account)?.balance;
  // The first page refreshes; older pages stay as loaded, without any line the first page now shows.
  const shown = firstPage ? [...firstPage.transactions, ...older.rows.filter((row) => !firstPage.transactions.some((top) => top.id === row.id))] : [];

  return (
    <div class="experience full">
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
              {formatMinor(balance.availableMinor)} <span class="label">available</span>
            </p>
            <dl class="figures">
              <dt>Settled</dt>
              <dd data-testid="settled-balance">{formatMinor(balance.settledMinor)}</dd>
              <dt>Held for card payments</dt>
              <dd>{formatMinor(balance.heldMinor)}</dd>
              {balance.overdraftLimitMinor > 0 && (
                <>
                  <dt>Arranged overdraft</dt>
                  <dd>{formatMinor(balance.overdraftLimitMinor)}</dd>
                </>
              )}
            </dl>
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
      <section class="panel wide" aria-labelledby="feed-title">
        <h2 id="feed-title">Transactions</h2>
        {feed.state === 'failed' && (
          <p class="error" role="alert">
            {describeFailure(feed.failure)}
          </p>
        )}
        {firstPage ? <TransactionsList rows={shown} label="Transactions" /> : <p class="muted">Loading…</p>}
        {older.error && (
          <p class="error" role="alert">
            {older.error}
          </p>
        )}
        {next && (
          <button type="button" class="secondary" disabled={older.loading} onClick={() => void loadOlder()}>
            Show older transactions
          </button>
        )}
      </section>
      <PotsPanel baseUrl={baseUrl} token={session.token} accountId={session.accountId} onMoved={refresh} />
      <PayeesPanel baseUrl={baseUrl} token={session.token} accountId={session.accountId} payees={payees} onChanged={reloadPayees} />
      <NotificationsPanel baseUrl={baseUrl} token={session.token} accountId={session.accountId} onNotification={refresh} />
    </div>
  );
}
