import { useRef, useState } from 'preact/hooks';
import { callPlatform, describeFailure, newIdempotencyKey } from '../shared/api';
import { formatMinor, parseAmountToMinor } from '../shared/money';
import { useLoad, valueOf } from '../shared/use-load';

interface Pot {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly balanceMinor: number;
}

/** Pots: money set aside from the account (primary only). Each move is one attempt with its own Idempotency-Key. */
export function PotsPanel(props: { baseUrl: string; token: string; accountId: string; onMoved: () => void }) {
  const [pots, reload] = useLoad(
    () => callPlatform<{ pots: Pot[] }>(props.baseUrl, `/accounts/${props.accountId}/pots`, { token: props.token }),
    `${props.baseUrl}|${props.accountId}`,
  );
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const [newPot, setNewPot] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  // A move whose outcome is unknown keeps its key: trying the same move again moves the money once.
  const unknownMove = useRef<{ move: string; key: string } | undefined>(undefined);

  const move = async (pot: Pot, direction: 'deposit' | 'withdraw') => {
    const amountMinor = parseAmountToMinor(amounts[pot.id] ?? '');
    if (amountMinor === undefined) return setMessage('Enter an amount in pounds and pence, such as 5.00.');
    const which = `${pot.id}|${direction}|${amountMinor}`;
    const key = unknownMove.current?.move === which ? unknownMove.current.key : newIdempotencyKey();
    setBusy(true);
    const outcome = await callPlatform(props.baseUrl, `/accounts/${props.accountId}/pots/${pot.id}/${direction}`, {
      method: 'POST',
      token: props.token,
      idempotencyKey: key,
      body: { amountMinor },
    });
    setBusy(false);
    const unknown = !outcome.ok && (outcome.kind === 'unreachable' || outcome.kind === 'failed');
    unknownMove.current = unknown ? { move: which, key } : undefined;
    setMessage(
      outcome.ok
        ? `${direction === 'deposit' ? 'Added' : 'Took'} ${formatMinor(amountMinor)} ${direction === 'deposit' ? 'to' : 'from'} ${pot.name}.`
        : unknown
          ? `We could not confirm moving ${formatMinor(amountMinor)}. Trying the same again is safe: the money moves once.`
          : describeFailure(outcome),
    );
    if (outcome.ok) setAmounts((current) => ({ ...current, [pot.id]: '' }));
    reload();
    props.onMoved();
  };

  const create = async () => {
    if (!newPot.trim()) return;
    setBusy(true);
    const outcome = await callPlatform(props.baseUrl, `/accounts/${props.accountId}/pots`, {
      method: 'POST',
      token: props.token,
      idempotencyKey: newIdempotencyKey(),
      body: { name: newPot.trim() },
    });
    setBusy(false);
    setMessage(outcome.ok ? `Pot ${newPot.trim()} created.` : describeFailure(outcome));
    if (outcome.ok) setNewPot('');
    reload();
  };

  const list = valueOf(pots)?.pots;
  return (
    <section class="panel" aria-labelledby="pots-title">
      <h2 id="pots-title">Pots</h2>
      {pots.state === 'failed' && (
        <p class="error" role="alert">
          {describeFailure(pots.failure)}
        </p>
      )}
      {list?.length === 0 && <p class="muted">No pots yet.</p>}
      <ul class="pots">
        {list?.map((pot) => (
          <li key={pot.id}>
            <span>
              {pot.name}: <strong>{formatMinor(pot.balanceMinor)}</strong>
            </span>
            <label for={`pot-amount-${pot.id}`} class="visually-hidden">
              Amount for {pot.name} (£)
            </label>
            <input
              id={`pot-amount-${pot.id}`}
              class="small"
              inputMode="decimal"
              placeholder="£"
              value={amounts[pot.id] ?? ''}
              onInput={(event) => {
                const value = event.currentTarget.value;
                setAmounts((current) => ({ ...current, [pot.id]: value }));
              }}
            />
            <button type="button" disabled={busy} onClick={() => void move(pot, 'deposit')}>
              Add
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => void move(pot, 'withdraw')}>
              Take out
            </button>
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void create();
        }}
      >
        <label for="new-pot">New pot</label>
        <input id="new-pot" maxLength={60} value={newPot} onInput={(event) => setNewPot(event.currentTarget.value)} />
        <button type="submit" disabled={busy || !newPot.trim()}>
          Create
        </button>
      </form>
      <p aria-live="polite" class="status-line">
        {message}
      </p>
    </section>
  );
}
