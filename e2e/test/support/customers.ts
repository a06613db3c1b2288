import { randomBytes, randomUUID } from 'node:crypto';
import { CREDENTIALS } from '../../src/stack/credentials';
import { http, type Stack } from './stack';

// Customers made the way the bank makes them (in primary), and the card messages a payment
// network would send for them.

export interface Customer {
  /** The account id. */
  id: string;
  /** Primary's customer id: the user id the stand-in configuration targets. */
  customerId: string;
  token: string;
  sortCode: string;
  accountNumber: string;
  card: { id: string; pan: string; expiry: string };
}

export async function openCustomer(stack: Pick<Stack, 'primary'>, fundedMinor: number, holderName = 'Outage Customer'): Promise<Customer> {
  const account = (await http<Record<string, string>>('POST', `${stack.primary.url}/accounts`, { body: { holderName, overdraftLimitMinor: 0 } })).body;
  // The card first: once the funding is visible in stand-in, everything before it is too.
  const card = (
    await http<{ id: string; pan: string; expiry: string }>('POST', `${stack.primary.url}/internal/accounts/${account.id}/cards`, {
      token: CREDENTIALS['card-manufacturer'],
      body: {},
    })
  ).body;
  await http('POST', `${stack.primary.url}/scheme/faster-payments/inbound`, {
    body: {
      fpsId: `FPS-${randomUUID()}`,
      amountMinor: fundedMinor,
      currency: 'GBP',
      debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
      creditor: { sortCode: account.sortCode, accountNumber: account.accountNumber, name: holderName },
      reference: 'SALARY',
      sentAt: new Date().toISOString(),
    },
  });
  return { id: account.id!, customerId: account.customerId!, token: account.token!, sortCode: account.sortCode!, accountNumber: account.accountNumber!, card };
}

let stan = Math.floor(Math.random() * 900_000);
/** A purchase authorisation (0100) for the customer's card; `overrides` for refunds, cash and the like. */
export const cardPayment = (customer: Customer, amountMinor: number, overrides: Record<string, unknown> = {}) => {
  stan = (stan + 1) % 1_000_000;
  return {
    mti: '0100',
    pan: customer.card.pan,
    expiry: customer.card.expiry,
    processingCode: '000000',
    amountMinor,
    currency: 'GBP',
    transmittedAt: new Date().toISOString(),
    stan: String(stan).padStart(6, '0'),
    rrn: randomBytes(6).toString('hex').toUpperCase(),
    terminalId: 'OUTAGE01',
    acquirerId: '12345678',
    merchant: { name: 'OUTAGE CAFE', categoryCode: '5814', city: 'London', country: 'GB' },
    posEntryMode: 'contactless',
    ...overrides,
  };
};
