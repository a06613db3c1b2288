import { useState } from 'preact/hooks';
import { callPlatform, describeFailure, newIdempotencyKey } from '../shared/api';
import { valueOf, type Loaded } from '../shared/use-load';
import type { Payee } from './SendMoney';

/** Payees: add and remove (primary only; stand-in shows the synced list in its send form). */
export function PayeesPanel(props: { baseUrl: string; token: string; accountId: string; payees: Loaded<{ payees: Payee[] }>; onChanged: () => void }) {
  const [form, setForm] = useState({ name: '', sortCode: '', accountNumber: '' });
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const list = valueOf(props.payees)?.payees;

  const add = async () => {
    setBusy(true);
    const outcome = await callPlatform(props.baseUrl, `/accounts/${props.accountId}/payees`, {
      method: 'POST',
      token: props.token,
      idempotencyKey: newIdempotencyKey(),
      body: { name: form.name.trim(), sortCode: form.sortCode.replace(/[-\s]/g, ''), accountNumber: form.accountNumber.replace(/\s/g, '') },
    });
    setBusy(false);
    setMessage(outcome.ok ? `${form.name.trim()} added.` : describeFailure(outcome));
    if (outcome.ok) setForm({ name: '', sortCode: '', accountNumber: '' });
    props.onChanged();
  };

  const remove = async (payee: Payee) => {
    setBusy(true);
    const outcome = await callPlatform(props.baseUrl, `/accounts/${props.accountId}/payees/${payee.id}`, { method: 'DELETE', token: props.token });
    setBusy(false);
    setMessage(outcome.ok ? `${payee.name} removed.` : describeFailure(outcome));
    props.onChanged();
  };

  return (
    <section class="panel" aria-labelledby="payees-title">
      <h2 id="payees-title">Payees</h2>
      {props.payees.state === 'failed' && (
        <p class="error" role="alert">
          {describeFailure(props.payees.failure)}
        </p>
      )}
      <ul class="payees">
        {list?.map((payee) => (
          <li key={payee.id}>
            {payee.name}{' '}
            <span class="muted">
              {payee.sortCode} {payee.accountNumber}
            </span>{' '}
            <button type="button" class="secondary" disabled={busy} onClick={() => void remove(payee)} aria-label={`Remove payee ${payee.name}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void add();
        }}
      >
        <label for="payee-name">Name</label>
        <input id="payee-name" value={form.name} onInput={(event) => setForm({ ...form, name: event.currentTarget.value })} required />
        <div class="row">
          <div>
            <label for="payee-sort-code">Sort code</label>
            <input
              id="payee-sort-code"
              inputMode="numeric"
              value={form.sortCode}
              onInput={(event) => setForm({ ...form, sortCode: event.currentTarget.value })}
              required
            />
          </div>
          <div>
            <label for="payee-account-number">Account number</label>
            <input
              id="payee-account-number"
              inputMode="numeric"
              value={form.accountNumber}
              onInput={(event) => setForm({ ...form, accountNumber: event.currentTarget.value })}
              required
            />
          </div>
        </div>
        <button type="submit" disabled={busy}>
          Add payee
        </button>
      </form>
      <p aria-live="polite" class="status-line">
        {message}
      </p>
    </section>
  );
}
