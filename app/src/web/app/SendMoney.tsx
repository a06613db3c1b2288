import { useRef } from 'preact/hooks';
import { callPlatform, newIdempotencyKey } from '../shared/api';
import { formatMinor } from '../shared/money';
import { EMPTY_DRAFT, requestOf, resultOf, sendAction, type SendAttempt, type SendDraft, type SendTarget } from './send-money';

export interface Payee {
  readonly id: string;
  readonly name: string;
  readonly sortCode: string;
  readonly accountNumber: string;
}

export interface SendMoneyProps {
  /** Where a payment goes now: the platform the app follows, under the configuration it follows. */
  readonly target: SendTarget;
  readonly baseUrl: string;
  readonly token: string;
  readonly accountId: string;
  readonly payees: readonly Payee[] | undefined;
  readonly draft: SendDraft;
  readonly setDraft: (draft: SendDraft) => void;
  readonly attempt: SendAttempt | undefined;
  readonly setAttempt: (attempt: SendAttempt | undefined) => void;
  /** The payment is over (made, pending or refused): the balance and transactions are read again. */
  readonly onFinished: () => void;
}

const RESULT_ROLE = { sent: 'status', pending: 'status', refused: 'alert', not_taken: 'alert', unknown: 'alert' } as const;

/** Send money to a payee or to account details: a transfer to another customer of ours, or a Faster Payment. */
export function SendMoney(props: SendMoneyProps) {
  const { draft, setDraft, attempt } = props;
  const update = (change: Partial<SendDraft>) => setDraft({ ...draft, ...change });
  const parsed = requestOf(draft);
  const action = parsed.ok ? sendAction(attempt, parsed.request, props.target) : undefined;
  // A second press while a request is out does nothing (the button is disabled too, one render later).
  const inFlight = useRef(false);

  const send = async (forceNew: boolean) => {
    if (!parsed.ok || inFlight.current || attempt?.sending) return;
    const chosen = forceNew ? { kind: 'send' as const, key: 'new' } : sendAction(attempt, parsed.request, props.target);
    if (chosen.kind === 'check_first') return;
    const key = chosen.key === 'new' ? newIdempotencyKey() : chosen.key;
    const sending: SendAttempt = { key, target: props.target, request: parsed.request, sending: true };
    inFlight.current = true;
    // Recorded (and saved in the tab) before the request leaves: a reload cannot lose the key.
    props.setAttempt(sending);
    const outcome = await callPlatform<{ status?: string }>(props.baseUrl, `/accounts/${props.accountId}/transfers`, {
      method: 'POST',
      token: props.token,
      idempotencyKey: key,
      body: parsed.request,
    });
    inFlight.current = false;
    const result = resultOf(outcome, parsed.request);
    props.setAttempt({ ...sending, sending: false, result });
    if (result.kind === 'sent' || result.kind === 'pending') setDraft(EMPTY_DRAFT);
    if (result.kind !== 'unknown' && result.kind !== 'not_taken') props.onFinished();
  };

  const invalid = draft.amount !== '' && !parsed.ok;
  return (
    <section class="panel" aria-labelledby="send-title">
      <h2 id="send-title">Send money</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void send(false);
        }}
      >
        {props.payees && props.payees.length > 0 && (
          <>
            <label for="send-payee">Pay</label>
            <select
              id="send-payee"
              value={draft.payeeId}
              onChange={(event) => {
                const payee = props.payees?.find((candidate) => candidate.id === event.currentTarget.value);
                update(
                  payee
                    ? { payeeId: payee.id, name: payee.name, sortCode: payee.sortCode, accountNumber: payee.accountNumber }
                    : { payeeId: '', name: '', sortCode: '', accountNumber: '' },
                );
              }}
            >
              <option value="">Someone new (enter their details)</option>
              {props.payees.map((payee) => (
                <option key={payee.id} value={payee.id}>
                  {payee.name} ({payee.sortCode} {payee.accountNumber})
                </option>
              ))}
            </select>
          </>
        )}
        <label for="send-name">Name on the account</label>
        <input id="send-name" value={draft.name} onInput={(event) => update({ name: event.currentTarget.value, payeeId: '' })} autocomplete="off" />
        <div class="row">
          <div>
            <label for="send-sort-code">Sort code</label>
            <input
              id="send-sort-code"
              inputMode="numeric"
              value={draft.sortCode}
              onInput={(event) => update({ sortCode: event.currentTarget.value, payeeId: '' })}
            />
          </div>
          <div>
            <label for="send-account-number">Account number</label>
            <input
              id="send-account-number"
              inputMode="numeric"
              value={draft.accountNumber}
              onInput={(event) => update({ accountNumber: event.currentTarget.value, payeeId: '' })}
            />
          </div>
        </div>
        <div class="row">
          <div>
            <label for="send-amount">Amount (£)</label>
            <input
              id="send-amount"
              inputMode="decimal"
              value={draft.amount}
              aria-invalid={invalid ? 'true' : 'false'}
              aria-describedby="send-check"
              onInput={(event) => update({ amount: event.currentTarget.value })}
            />
          </div>
          <div>
            <label for="send-reference">Reference (optional)</label>
            <input id="send-reference" maxLength={18} value={draft.reference} onInput={(event) => update({ reference: event.currentTarget.value })} />
          </div>
        </div>
        {/* Always present, so screen readers announce what appears in it. */}
        <div id="send-check" class="hint" aria-live="polite">
          {invalid && !parsed.ok && (
            <ul>
              {parsed.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          )}
          {parsed.ok && action?.kind !== 'check_first' && (
            <p class="muted" data-testid="send-summary">
              You are sending {formatMinor(parsed.request.amountMinor)} to {parsed.request.creditor.name}.
            </p>
          )}
        </div>
        {action?.kind !== 'check_first' && (
          <button type="submit" disabled={!parsed.ok || attempt?.sending}>
            {attempt?.sending ? 'Sending…' : action?.kind === 'retry' ? 'Try again' : 'Send'}
          </button>
        )}
      </form>
      {attempt?.result && (
        <p class={`outcome ${attempt.result.kind}`} role={RESULT_ROLE[attempt.result.kind]} data-testid="send-outcome">
          {attempt.result.text}
        </p>
      )}
      {action?.kind === 'check_first' && (
        <div class="outcome unknown" role="alert" data-testid="send-check-first">
          <p>
            We cannot tell whether your last payment ({formatMinor(attempt!.request.amountMinor)} to {attempt!.request.creditor.name}) went through, and this
            would send {sameAsBefore(attempt!, parsed) ? 'it again through a different part of the bank' : 'a different payment'}. Please check your recent
            transactions first.
          </p>
          <button type="button" onClick={() => void send(true)}>
            I have checked: send it as a new payment
          </button>{' '}
          <button
            type="button"
            class="secondary"
            onClick={() => {
              props.setAttempt(undefined);
              setDraft(EMPTY_DRAFT);
            }}
          >
            It went through: clear this
          </button>
        </div>
      )}
    </section>
  );
}

function sameAsBefore(attempt: SendAttempt, parsed: ReturnType<typeof requestOf>): boolean {
  return parsed.ok && JSON.stringify(parsed.request) === JSON.stringify(attempt.request);
}
