import { callPlatform, newIdempotencyKey } from '../shared/api';
import { parseAmountToMinor } from '../shared/money';
import type { Platform } from '../shared/status-follower';
import { EMPTY_DRAFT, keyFor, needsCheckBeforeResend, resultOf, type SendAttempt, type SendDraft } from './send-money';

export interface Payee {
  readonly id: string;
  readonly name: string;
  readonly sortCode: string;
  readonly accountNumber: string;
}

export interface SendMoneyProps {
  readonly platform: Platform;
  readonly baseUrl: string;
  readonly token: string;
  readonly accountId: string;
  readonly payees: readonly Payee[] | undefined;
  readonly draft: SendDraft;
  readonly setDraft: (draft: SendDraft) => void;
  readonly attempt: SendAttempt | undefined;
  readonly setAttempt: (attempt: SendAttempt | undefined) => void;
  readonly onFinished: () => void;
}

function problemsOf(draft: SendDraft): string[] {
  const problems: string[] = [];
  if (!draft.name.trim()) problems.push('Enter the name on the account you are paying.');
  if (!/^\d{6}$/.test(draft.sortCode.replace(/[-\s]/g, ''))) problems.push('A sort code is 6 digits.');
  if (!/^\d{8}$/.test(draft.accountNumber.replace(/\s/g, ''))) problems.push('An account number is 8 digits.');
  if (parseAmountToMinor(draft.amount) === undefined) problems.push('Enter an amount, such as 12.50.');
  return problems;
}

/** Send money to a payee or to account details: a transfer to another customer of ours, or a Faster Payment. */
export function SendMoney(props: SendMoneyProps) {
  const { draft, setDraft, attempt } = props;
  const update = (change: Partial<SendDraft>) => setDraft({ ...draft, ...change });
  const problems = problemsOf(draft);
  const checkFirst = needsCheckBeforeResend(attempt, props.platform);

  const send = async (forceNew: boolean) => {
    const amountMinor = parseAmountToMinor(draft.amount);
    if (problems.length > 0 || amountMinor === undefined) return;
    const key = forceNew ? newIdempotencyKey() : keyFor(attempt, draft, props.platform, newIdempotencyKey);
    const sending: SendAttempt = { key, platform: props.platform, draft, sending: true };
    props.setAttempt(sending);
    const outcome = await callPlatform<{ status?: string }>(props.baseUrl, `/accounts/${props.accountId}/transfers`, {
      method: 'POST',
      token: props.token,
      idempotencyKey: key,
      body: {
        amountMinor,
        creditor: { name: draft.name.trim(), sortCode: draft.sortCode.replace(/[-\s]/g, ''), accountNumber: draft.accountNumber.replace(/\s/g, '') },
        reference: draft.reference.trim(),
      },
    });
    const result = resultOf(outcome, amountMinor, draft.name.trim());
    props.setAttempt({ ...sending, sending: false, result });
    // A payment made (or refused) is finished: the form is cleared for the next one.
    if (result.kind !== 'unknown') {
      if (result.kind !== 'refused') setDraft(EMPTY_DRAFT);
      props.onFinished();
    }
  };

  return (
    <section class="panel" aria-labelledby="send-title">
      <h2 id="send-title">Send money</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!checkFirst) void send(false);
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
            <input id="send-amount" inputMode="decimal" value={draft.amount} onInput={(event) => update({ amount: event.currentTarget.value })} />
          </div>
          <div>
            <label for="send-reference">Reference (optional)</label>
            <input id="send-reference" maxLength={18} value={draft.reference} onInput={(event) => update({ reference: event.currentTarget.value })} />
          </div>
        </div>
        {draft.amount && problems.length > 0 && (
          <ul class="hint" aria-live="polite">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        )}
        {!checkFirst && (
          <button type="submit" disabled={problems.length > 0 || attempt?.sending}>
            {attempt?.sending ? 'Sending…' : attempt?.result?.kind === 'unknown' && keyFor(attempt, draft, props.platform, () => '') ? 'Try again' : 'Send'}
          </button>
        )}
      </form>
      <div aria-live="polite">
        {attempt?.result && (
          <p class={`outcome ${attempt.result.kind}`} role={attempt.result.kind === 'refused' || attempt.result.kind === 'unknown' ? 'alert' : 'status'}>
            {attempt.result.text}
          </p>
        )}
        {checkFirst && (
          <div class="outcome unknown" role="alert">
            <p>
              We switched to a different part of the bank since you tried to send this payment, and we cannot tell here whether it went through. Please check
              your recent transactions before sending it again.
            </p>
            <button type="button" onClick={() => void send(true)} disabled={problems.length > 0}>
              I have checked: send it as a new payment
            </button>{' '}
            <button type="button" class="secondary" onClick={() => props.setAttempt(undefined)}>
              It went through: clear this
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
