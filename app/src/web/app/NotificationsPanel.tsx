import { useEffect, useRef, useState } from 'preact/hooks';
import { formatTime } from '../shared/money';
import { followSse } from '../shared/sse';

interface Notification {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly createdAt: string;
}

/** Live notifications from primary's server-sent events (resumed with Last-Event-ID after a drop). */
export function NotificationsPanel(props: { baseUrl: string; token: string; accountId: string; onNotification: () => void }) {
  const [items, setItems] = useState<Notification[]>([]);
  const [state, setState] = useState<'connecting' | 'open' | 'reconnecting' | 'ended'>('connecting');
  // The stream follows the account, not the callback (a new one on every render).
  const onNotification = useRef(props.onNotification);
  onNotification.current = props.onNotification;
  useEffect(() => {
    setItems([]);
    return followSse({
      url: `${props.baseUrl}/accounts/${props.accountId}/notifications/stream`,
      token: props.token,
      onState: setState,
      onEvent: (event) => {
        if (event.event !== 'notification') return;
        try {
          const notification = JSON.parse(event.data) as Notification;
          setItems((current) => [notification, ...current.filter((item) => item.id !== notification.id)].slice(0, 20));
          onNotification.current();
        } catch {
          // Not one of ours: ignore it rather than break the stream.
        }
      },
    });
  }, [props.baseUrl, props.token, props.accountId]);
  return (
    <section class="panel" aria-labelledby="notifications-title">
      <h2 id="notifications-title">Notifications</h2>
      <p class="muted">
        {state === 'open' ? 'Live' : state === 'connecting' ? 'Connecting…' : state === 'ended' ? 'Not available: please sign in again' : 'Reconnecting…'}
      </p>
      <ul class="notifications" aria-live="polite">
        {items.map((item) => (
          <li key={item.id}>
            <strong>{item.title}</strong> {item.body} <span class="muted">{formatTime(item.createdAt)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
