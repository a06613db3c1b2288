// Valid example of every contract, shared by the contract tests. Built fresh per call so a test
// can break one without touching another.
const accountId = '6f1c2b7e-3c1a-4b8e-9a55-0d1f4c2e8a11';
const cardId = '0b6f7a3e-8d4c-4f0e-a1b2-c3d4e5f60718';
const correlationId = 'c0ffee00-1234-4abc-8def-0123456789ab';
const at = '2026-11-21T09:30:00Z';
const merchant = { name: 'CORNER SHOP', categoryCode: '5411', city: 'London', country: 'GB' };
const key = { stan: '000123', rrn: '632509000123', terminalId: 'TERM0001' };
const party = (name: string, accountNumber: string) => ({ sortCode: '040004', accountNumber, name });
const header = (type: string, sequence = 1) => ({
  eventId: '9d7e1f2a-5b6c-4d8e-8f90-a1b2c3d4e5f6',
  type,
  accountId,
  sequence,
  occurredAt: at,
  schemaVersion: 1,
});
const adviceHeader = (type: string) => ({
  adviceId: '5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716',
  type,
  accountId,
  sequence: 1,
  correlationId,
  createdAt: at,
  schemaVersion: 1,
});
const approved = {
  ...key,
  mti: '0100',
  processingCode: '000000',
  amountMinor: 1250,
  currency: 'GBP',
  merchant,
  authorisationCode: 'A1B2C3',
  transmittedAt: at,
};

export const examples = {
  cardAuthorisationRequest: () => ({
    mti: '0100',
    pan: '4000001234567899',
    expiry: '2811',
    processingCode: '000000',
    amountMinor: 1250,
    currency: 'GBP',
    transmittedAt: at,
    ...key,
    acquirerId: '12345678',
    merchant,
    posEntryMode: 'contactless',
  }),
  cardAuthorisationResponse: () => ({ mti: '0110', ...key, responseCode: '00', authorisationCode: 'A1B2C3', approvedAmountMinor: 1250, decidedBy: 'primary' }),
  cardReversalRequest: () => ({
    mti: '0400',
    pan: '4000001234567899',
    original: key,
    amountMinor: 1250,
    replacementAmountMinor: 1000,
    currency: 'GBP',
    transmittedAt: at,
    stan: '000124',
    rrn: '632509000124',
    terminalId: 'TERM0001',
  }),
  cardReversalResponse: () => ({ mti: '0410', stan: '000124', rrn: '632509000124', terminalId: 'TERM0001', responseCode: '00', decidedBy: 'standin' }),
  cardClearingRecord: () => ({
    clearingId: 'CLR-0001',
    pan: '4000001234567899',
    original: key,
    processingCode: '000000',
    amountMinor: 1300,
    currency: 'GBP',
    merchant,
    clearedAt: at,
  }),
  cardClearingResult: () => ({ clearingId: 'CLR-0001', status: 'settled' }),
  fasterPaymentInstruction: () => ({
    fpsId: 'FPS-20261121-0001',
    amountMinor: 5000,
    currency: 'GBP',
    debtor: party('Alice Example', '12345678'),
    creditor: party('Bob Example', '87654321'),
    reference: 'RENT NOV',
    sentAt: at,
  }),
  fasterPaymentResponse: () => ({ fpsId: 'FPS-20261121-0001', status: 'rejected', rejectReason: 'account_unknown', message: 'no such account' }),
  accountOpened: () => ({
    ...header('account.opened'),
    payload: {
      customerId: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
      holderName: 'Alice Example',
      sortCode: '040004',
      accountNumber: '12345678',
      currency: 'GBP',
      overdraftLimitMinor: 10000,
      status: 'open',
    },
  }),
  accountUpdated: () => ({ ...header('account.updated', 2), payload: { status: 'open', overdraftLimitMinor: 20000, unapprovedOverdraft: false } }),
  balanceChanged: () => ({
    ...header('balance.changed', 3),
    payload: { settledBalanceMinor: -500, heldMinor: 1250, overdraftLimitMinor: 10000, currency: 'GBP' },
  }),
  cardIssued: () => ({
    ...header('card.issued', 4),
    payload: {
      cardId,
      panForStandin: { keyset: 'B', keyId: 'standin-2026-11', algorithm: 'rsa-oaep-256', ciphertextBase64: 'c2VjcmV0' },
      last4: '7899',
      expiry: '2811',
      status: 'active',
      dailyCashLimitMinor: 50000,
    },
  }),
  cardStatusChanged: () => ({ ...header('card.status_changed', 5), payload: { cardId, status: 'frozen', reason: 'customer request' } }),
  transactionRecorded: () => ({
    ...header('transaction.recorded', 6),
    correlationId,
    payload: {
      transactionId: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d',
      kind: 'card_payment',
      status: 'pending',
      amountMinor: -1250,
      currency: 'GBP',
      description: 'CORNER SHOP',
      merchant,
      cardId,
      createdAt: at,
    },
  }),
  potChanged: () => ({
    ...header('pot.changed', 7),
    payload: { potId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', name: 'Holiday', balanceMinor: 20000, status: 'active' },
  }),
  payeeAdded: () => ({
    ...header('payee.added', 8),
    payload: { payeeId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f', name: 'Bob Example', sortCode: '040004', accountNumber: '87654321' },
  }),
  payeeRemoved: () => ({ ...header('payee.removed', 9), payload: { payeeId: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f' } }),
  customerCredentialIssued: () => ({
    ...header('customer.credential_issued', 10),
    payload: {
      customerId: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
      tokenSha256Base64: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
      issuedAt: '2026-11-21T09:30:00.000Z',
      expiresAt: '2026-12-21T09:30:00.000Z',
    },
  }),
  customerCredentialsRevoked: () => ({
    ...header('customer.credentials_revoked', 11),
    payload: { customerId: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', revokedAt: '2026-11-21T10:00:00.000Z' },
  }),
  cardPaymentApprovedAdvice: () => ({ ...adviceHeader('card_payment.approved'), payload: { cardId, authorisation: approved } }),
  cashWithdrawnAdvice: () => ({
    ...adviceHeader('cash.withdrawn'),
    payload: { cardId, authorisation: { ...approved, mti: '0200', processingCode: '010000' } },
  }),
  cardPaymentDeclinedAdvice: () => ({
    ...adviceHeader('card_payment.declined'),
    payload: {
      cardId,
      authorisation: {
        ...key,
        mti: '0100',
        processingCode: '000000',
        amountMinor: 25000,
        currency: 'GBP',
        merchant,
        transmittedAt: at,
        responseCode: '61',
        reason: 'stand-in risk limit: e-commerce per payment',
        rule: 'channel:ecommerce:per-payment',
      },
    },
  }),
  cardPaymentReversedAdvice: () => ({
    ...adviceHeader('card_payment.reversed'),
    payload: { cardId, original: key, originalCorrelationId: correlationId, reversedAmountMinor: 250, remainingAmountMinor: 1000 },
  }),
  cardPaymentReversalAcknowledgedAdvice: () => ({
    ...adviceHeader('card_payment.reversal_acknowledged'),
    payload: {
      cardId,
      reversal: {
        stan: '000124',
        rrn: '632509000124',
        terminalId: 'TERM0001',
        mti: '0400',
        original: key,
        amountMinor: 1250,
        replacementAmountMinor: 1000,
        currency: 'GBP',
        transmittedAt: at,
      },
    },
  }),
  transferSentAdvice: () => ({
    ...adviceHeader('transfer.sent'),
    payload: { fpsId: 'FPS-20261121-0002', amountMinor: 5000, creditor: party('Bob Example', '87654321'), reference: 'RENT' },
  }),
  transferReceivedAdvice: () => ({
    ...adviceHeader('transfer.received'),
    payload: { fpsId: 'FPS-20261121-0003', amountMinor: 5000, debtor: party('Carol Example', '11223344'), reference: 'GIFT' },
  }),
  cardFrozenAdvice: () => ({ ...adviceHeader('card.frozen'), payload: { cardId, requestedBy: 'customer' } }),
  cardUnfrozenAdvice: () => ({ ...adviceHeader('card.unfrozen'), payload: { cardId, requestedBy: 'operator' } }),
  deadLetteredAdvice: () => ({ messageId: '42', receivedAt: at, reason: 'payload.cardId: expected a UUID', bodyBase64: 'e30=' }),
  configurationDocument: () => ({
    version: 3,
    updatedAt: at,
    updatedBy: 'oncall@bank',
    reason: 'primary card processor degraded',
    components: {
      cardPaymentsInbound: { mode: 'percent', percent: 10 },
      cardPaymentsOutbound: { mode: 'nobody' },
      fasterPaymentsInbound: { mode: 'users', userIds: ['user-1', 'user-2'] },
      fasterPaymentsOutbound: { mode: 'nobody' },
      app: { mode: 'everyone' },
    },
    prescale: true,
    directConnect: false,
    shadow: { percent: 10 },
    dailyCohort: { percent: 5 },
    standinRules: {
      maxPerPaymentMinor: 20_000,
      maxPerAccountPerDayMinor: 60_000,
      sinceLastHeard: { purchases: { maxCount: 5, maxAmountMinor: 20_000 }, cash: { maxCount: 1 } },
      channels: { ecommerce: { blocked: false, maxPerPaymentMinor: 10_000 }, manual: { blocked: true } },
      merchantCategories: { '7995': { blocked: true, description: 'gambling' } },
      blockedCards: [cardId],
      staleness: [
        { olderThanMinutes: 60, limitPercent: 75 },
        { olderThanMinutes: 1_440, limitPercent: 50 },
      ],
    },
  }),
  configurationChange: () => ({ basedOnVersion: 3, reason: 'roll back apps', components: { app: { mode: 'percent', percent: 50 } } }),
  statusResponse: () => ({
    platform: 'standin',
    configurationVersion: 3,
    user: 'user-1',
    experience: 'standin',
    talkTo: 'standin',
    checkedAt: at,
    sync: { lagMs: 120, alerting: false },
    adviceBacklog: 0,
    advicesInFlight: { notPublished: 0, publishedNotApplied: 1, users: 1, oldestAt: at, oldestAgeMs: 4_000 },
  }),
  advicesInFlightReport: () => ({
    checkedAt: at,
    total: { notPublished: 1, publishedNotApplied: 1, users: 1, oldestAt: at, oldestAgeMs: 4_000 },
    byUser: [{ userId: 'user-1', notPublished: 1, publishedNotApplied: 1, oldestAt: at }],
  }),
};
