import { useEffect, useState } from 'preact/hooks';
import type { PageConfig } from '../shared/config';
import { signIn, type Session } from './session';

interface DemoCustomer {
  readonly name: string;
  readonly token: string;
  readonly cardLast4: string;
}

/** Signing in with the customer's token; in local mode, one click as a demo customer. */
export function SignIn(props: { config: PageConfig; onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<readonly DemoCustomer[] | string | undefined>();

  useEffect(() => {
    if (!props.config.local) return;
    let stopped = false;
    const load = async (attempt: number) => {
      try {
        const response = await fetch('/demo-customers', { signal: AbortSignal.timeout(5_000) });
        const body = (await response.json()) as { customers?: DemoCustomer[]; error?: { message: string } };
        if (stopped) return;
        if (body.customers) return setDemo(body.customers);
        setDemo(body.error?.message ?? 'not ready yet');
      } catch {
        if (!stopped) setDemo('the app server did not answer');
      }
      if (!stopped && attempt < 30) setTimeout(() => void load(attempt + 1), 2_000);
    };
    void load(1);
    return () => {
      stopped = true;
    };
  }, [props.config]);

  const submit = async (value: string) => {
    setBusy(true);
    setMessage(undefined);
    const outcome = await signIn(props.config, value.trim());
    setBusy(false);
    if (outcome.ok) props.onSignedIn(outcome.session);
    else setMessage(outcome.message);
  };

  return (
    <main class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) void submit(token);
        }}
      >
        <label for="token">Your app token</label>
        <input id="token" type="password" autocomplete="off" value={token} onInput={(event) => setToken(event.currentTarget.value)} required />
        <button type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {message && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      {props.config.local && (
        <section class="demo" aria-labelledby="demo-title">
          <h2 id="demo-title">Demo customers (local mode)</h2>
          {typeof demo === 'string' || demo === undefined ? (
            <p aria-live="polite">Demo customers: {demo ?? 'loading…'}</p>
          ) : (
            <ul>
              {demo.map((customer) => (
                <li key={customer.token}>
                  <button type="button" disabled={busy} onClick={() => void submit(customer.token)}>
                    Sign in as {customer.name}
                  </button>{' '}
                  <span class="muted">card ending {customer.cardLast4}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </main>
  );
}
