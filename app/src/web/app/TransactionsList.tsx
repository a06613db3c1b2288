import { formatMinor, formatTime } from '../shared/money';

export interface TransactionRow {
  readonly id: string;
  readonly kind: string;
  readonly status: string;
  readonly amountMinor: number;
  readonly description: string;
  readonly createdAt: string;
  readonly merchant?: { readonly name?: string } | null;
  /** Stand-in: where the line comes from (its own, not yet seen back from primary). */
  readonly source?: 'primary' | 'standin';
}

const STATUS_TEXT: Record<string, string> = {
  pending: 'Pending',
  held: 'Pending',
  authorised: 'Pending',
  settled: 'Completed',
  completed: 'Completed',
  reversed: 'Reversed',
  declined: 'Declined',
  rejected: 'Refused',
  submitted: 'Pending',
  submitting: 'Pending',
  sent: 'Completed',
  accepted: 'Completed',
};

export function TransactionsList(props: { rows: readonly TransactionRow[]; label: string }) {
  if (props.rows.length === 0) return <p class="muted">No transactions yet.</p>;
  return (
    <table class="transactions" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">What</th>
          <th scope="col">Status</th>
          <th scope="col" class="amount">
            Amount
          </th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => {
          // Both platforms sign amounts: money out is negative.
          const amount = row.amountMinor;
          return (
            <tr key={row.id} data-testid="transaction">
              <td>{formatTime(row.createdAt)}</td>
              <td>{row.merchant?.name ?? row.description}</td>
              <td>
                {STATUS_TEXT[row.status] ?? row.status}
                {row.source === 'standin' && <span class="muted"> (made during the incident)</span>}
              </td>
              <td class={`amount ${amount < 0 ? 'out' : 'in'}`}>{amount < 0 ? `−${formatMinor(-amount)}` : `+${formatMinor(amount)}`}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
