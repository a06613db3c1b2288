import { useState } from 'preact/hooks';
import { callPlatform, describeFailure } from '../shared/api';
import { useLoad, valueOf } from '../shared/use-load';

interface CardRow {
  /** Primary names it `id`, stand-in `cardId`. */
  readonly id?: string;
  readonly cardId?: string;
  readonly last4: string;
  readonly expiry: string;
  readonly status: string;
}

const STATUS_TEXT: Record<string, string> = { active: 'Active', frozen: 'Frozen', cancelled: 'Cancelled' };

/** The account's cards, with freeze and unfreeze: on both platforms. */
export function CardsPanel(props: { baseUrl: string; token: string; accountId: string }) {
  const [cards, reload] = useLoad(
    () => callPlatform<{ cards: CardRow[] }>(props.baseUrl, `/accounts/${props.accountId}/cards`, { token: props.token }),
    `${props.baseUrl}|${props.accountId}`,
    10_000,
  );
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const list = valueOf(cards)?.cards;

  const act = async (cardId: string, last4: string, action: 'freeze' | 'unfreeze') => {
    setBusy(cardId);
    setMessage(undefined);
    const outcome = await callPlatform<{ status: string }>(props.baseUrl, `/cards/${cardId}/${action}`, { method: 'POST', token: props.token });
    setBusy(undefined);
    setMessage(
      outcome.ok
        ? `Card ending ${last4} is ${outcome.body.status === 'frozen' ? 'frozen: payments with it are declined' : 'active again'}.`
        : describeFailure(outcome),
    );
    reload();
  };

  return (
    <section class="panel" aria-labelledby="cards-title">
      <h2 id="cards-title">Cards</h2>
      {cards.state === 'failed' && (
        <p class="error" role="alert">
          {describeFailure(cards.failure)}
        </p>
      )}
      {!list ? (
        <p class="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p class="muted">No cards on this account.</p>
      ) : (
        <ul class="cards">
          {list.map((card) => {
            const id = card.id ?? card.cardId ?? '';
            return (
              <li key={id} class={`card ${card.status}`}>
                <span>
                  •••• {card.last4}{' '}
                  <span class="muted">
                    expires {card.expiry.slice(2)}/{card.expiry.slice(0, 2)}
                  </span>
                </span>
                <span class="badge" data-testid={`card-status-${card.last4}`}>
                  {STATUS_TEXT[card.status] ?? card.status}
                </span>
                {card.status === 'active' && (
                  <button
                    type="button"
                    disabled={busy === id}
                    onClick={() => void act(id, card.last4, 'freeze')}
                    aria-label={`Freeze card ending ${card.last4}`}
                  >
                    Freeze
                  </button>
                )}
                {card.status === 'frozen' && (
                  <button
                    type="button"
                    disabled={busy === id}
                    onClick={() => void act(id, card.last4, 'unfreeze')}
                    aria-label={`Unfreeze card ending ${card.last4}`}
                  >
                    Unfreeze
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p aria-live="polite" class="status-line">
        {message}
      </p>
    </section>
  );
}
