import { INITIAL_CONFIGURATION, type ConfigurationDocument } from '@bank/shared-contracts';

// Valid scheme messages for tests. The PAN is Luhn-valid in the bank's range, so a test that
// finds it in an answer or a log has found a real leak.

export const TEST_PAN = '4598761234567896';

export const authorisation = (overrides: Record<string, unknown> = {}) => ({
  mti: '0100',
  pan: TEST_PAN,
  expiry: '3011',
  processingCode: '000000',
  amountMinor: 1_250,
  currency: 'GBP',
  transmittedAt: '2026-11-21T09:30:00Z',
  stan: '000123',
  rrn: 'ABC123DEF456',
  terminalId: 'TERM0001',
  acquirerId: '12345678',
  merchant: { name: 'CORNER CAFE', categoryCode: '5814', city: 'London', country: 'GB' },
  posEntryMode: 'contactless',
  ...overrides,
});

export const clearing = () => ({
  clearingId: 'CLR-0001',
  pan: TEST_PAN,
  processingCode: '000000',
  amountMinor: 1_250,
  currency: 'GBP',
  merchant: { name: 'CORNER CAFE', categoryCode: '5814', city: 'London', country: 'GB' },
  clearedAt: '2026-11-22T02:00:00Z',
});

export const fasterPayment = () => ({
  fpsId: 'FPS-0000-0001',
  amountMinor: 10_000,
  currency: 'GBP',
  debtor: { sortCode: '200000', accountNumber: '55779911', name: 'Employer' },
  creditor: { sortCode: '040004', accountNumber: '12345678', name: 'Customer' },
  reference: 'SALARY',
  sentAt: '2026-11-21T09:30:00Z',
});

export const configuration = (version: number, directConnect: boolean): ConfigurationDocument => ({
  ...INITIAL_CONFIGURATION,
  version,
  updatedAt: '2026-11-21T09:00:00.000Z',
  updatedBy: 'test-operator',
  reason: directConnect ? 'primary is down: direct connect' : 'back to normal',
  directConnect,
});
