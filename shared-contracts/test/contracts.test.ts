import { z } from 'zod';
import * as contracts from '../src';
import { ContractError, parseContract, safeParseContract } from '../src';
import { examples } from './examples';

type Example = Record<string, unknown>;

interface Case {
  readonly schema: z.ZodType;
  readonly example: () => Example;
  /** Breaks the example in one place; the error must name `path` and say `expected`. */
  readonly breakIt: (message: Example) => void;
  readonly path: string;
  readonly expected: RegExp;
}

const payloadOf = (message: Example) => message.payload as Example;

const rawCases: Record<string, Case> = {
  CardAuthorisationRequest: {
    schema: contracts.CardAuthorisationRequest,
    example: examples.cardAuthorisationRequest,
    breakIt: (m) => void ((m.merchant as Example).categoryCode = '54A1'),
    path: 'merchant.categoryCode',
    expected: /4-digit merchant category code/,
  },
  CardAuthorisationResponse: {
    schema: contracts.CardAuthorisationResponse,
    example: examples.cardAuthorisationResponse,
    breakIt: (m) => void delete m.authorisationCode,
    path: 'authorisationCode',
    expected: /approval .* must carry an authorisation code/,
  },
  CardReversalRequest: {
    schema: contracts.CardReversalRequest,
    example: examples.cardReversalRequest,
    breakIt: (m) => void (m.replacementAmountMinor = 5000),
    path: 'replacementAmountMinor',
    expected: /partial reversal must leave less/,
  },
  CardReversalResponse: {
    schema: contracts.CardReversalResponse,
    example: examples.cardReversalResponse,
    breakIt: (m) => void (m.responseCode = '99'),
    path: 'responseCode',
    expected: /expected one of/i,
  },
  CardClearingRecord: {
    schema: contracts.CardClearingRecord,
    example: examples.cardClearingRecord,
    breakIt: (m) => void (m.amountMinor = 12.5),
    path: 'amountMinor',
    expected: /integer number of minor units/,
  },
  CardClearingResult: {
    schema: contracts.CardClearingResult,
    example: examples.cardClearingResult,
    breakIt: (m) => void (m.status = 'maybe'),
    path: 'status',
    expected: /expected one of/i,
  },
  FasterPaymentInstruction: {
    schema: contracts.FasterPaymentInstruction,
    example: examples.fasterPaymentInstruction,
    breakIt: (m) => void ((m.creditor as Example).sortCode = '04-00-04'),
    path: 'creditor.sortCode',
    expected: /6 digits without dashes/,
  },
  FasterPaymentResponse: {
    schema: contracts.FasterPaymentResponse,
    example: examples.fasterPaymentResponse,
    breakIt: (m) => void delete m.rejectReason,
    path: 'rejectReason',
    expected: /rejection must carry a reject reason/,
  },
  AccountOpened: {
    schema: contracts.PrimaryEvent,
    example: examples.accountOpened,
    breakIt: (m) => void (payloadOf(m).accountNumber = '1234'),
    path: 'payload.accountNumber',
    expected: /8 digits/,
  },
  AccountUpdated: {
    schema: contracts.PrimaryEvent,
    example: examples.accountUpdated,
    breakIt: (m) => void (m.sequence = 0),
    path: 'sequence',
    expected: /per-account sequence/,
  },
  BalanceChanged: {
    schema: contracts.PrimaryEvent,
    example: examples.balanceChanged,
    breakIt: (m) => void (payloadOf(m).heldMinor = '1250'),
    path: 'payload.heldMinor',
    expected: /integer number of minor units/,
  },
  CardIssued: {
    schema: contracts.PrimaryEvent,
    example: examples.cardIssued,
    breakIt: (m) => void ((payloadOf(m).panForStandin as Example).keyset = 'A'),
    path: 'payload.panForStandin',
    expected: /encrypted for keyset B/,
  },
  CardStatusChanged: {
    schema: contracts.PrimaryEvent,
    example: examples.cardStatusChanged,
    breakIt: (m) => void (payloadOf(m).cardId = 'card-1'),
    path: 'payload.cardId',
    expected: /UUID/,
  },
  TransactionRecorded: {
    schema: contracts.PrimaryEvent,
    example: examples.transactionRecorded,
    breakIt: (m) => void (m.occurredAt = 'yesterday'),
    path: 'occurredAt',
    expected: /ISO 8601 timestamp/,
  },
  PotChanged: {
    schema: contracts.PrimaryEvent,
    example: examples.potChanged,
    breakIt: (m) => void (payloadOf(m).balanceMinor = -1),
    path: 'payload.balanceMinor',
    expected: /zero or a positive amount/,
  },
  PayeeAdded: {
    schema: contracts.PrimaryEvent,
    example: examples.payeeAdded,
    breakIt: (m) => void (m.schemaVersion = 2),
    path: 'schemaVersion',
    expected: /schemaVersion 1/,
  },
  PayeeRemoved: {
    schema: contracts.PrimaryEvent,
    example: examples.payeeRemoved,
    breakIt: (m) => void (payloadOf(m).extra = true),
    path: 'payload',
    expected: /unrecognized key.*extra/i,
  },
  CustomerCredentialIssued: {
    schema: contracts.PrimaryEvent,
    example: examples.customerCredentialIssued,
    breakIt: (m) => void (payloadOf(m).tokenSha256Base64 = 'not base64!'),
    path: 'payload.tokenSha256Base64',
    expected: /token hash, base64/,
  },
  CustomerCredentialIssuedExpiry: {
    schema: contracts.PrimaryEvent,
    example: examples.customerCredentialIssued,
    breakIt: (m) => void (payloadOf(m).expiresAt = 'in thirty days'),
    path: 'payload.expiresAt',
    expected: /ISO 8601 timestamp/,
  },
  CustomerCredentialsRevoked: {
    schema: contracts.PrimaryEvent,
    example: examples.customerCredentialsRevoked,
    breakIt: (m) => void delete payloadOf(m).revokedAt,
    path: 'payload.revokedAt',
    expected: /ISO 8601 timestamp/,
  },
  CardPaymentApprovedAdvice: {
    schema: contracts.Advice,
    example: examples.cardPaymentApprovedAdvice,
    breakIt: (m) => void ((payloadOf(m).authorisation as Example).stan = '12'),
    path: 'payload.authorisation.stan',
    expected: /6-digit STAN/,
  },
  CashWithdrawnAdvice: {
    schema: contracts.Advice,
    example: examples.cashWithdrawnAdvice,
    breakIt: (m) => void delete m.correlationId,
    path: 'correlationId',
    expected: /UUID/,
  },
  CardPaymentDeclinedAdvice: {
    schema: contracts.Advice,
    example: examples.cardPaymentDeclinedAdvice,
    breakIt: (m) => void ((payloadOf(m).authorisation as Example).responseCode = '00'),
    path: 'payload.authorisation.responseCode',
    expected: /other than 00/,
  },
  CardPaymentReversedAdvice: {
    schema: contracts.Advice,
    example: examples.cardPaymentReversedAdvice,
    breakIt: (m) => void (payloadOf(m).reversedAmountMinor = 0),
    path: 'payload.reversedAmountMinor',
    expected: /positive amount/,
  },
  CardPaymentReversalAcknowledgedAdvice: {
    schema: contracts.Advice,
    example: examples.cardPaymentReversalAcknowledgedAdvice,
    breakIt: (m) => void ((payloadOf(m).reversal as Example).replacementAmountMinor = 1250),
    path: 'payload.reversal.replacementAmountMinor',
    expected: /partial reversal must leave less/,
  },
  TransferSentAdvice: {
    schema: contracts.Advice,
    example: examples.transferSentAdvice,
    breakIt: (m) => void (payloadOf(m).reference = 'A REFERENCE FAR TOO LONG'),
    path: 'payload.reference',
    expected: /18/,
  },
  TransferReceivedAdvice: {
    schema: contracts.Advice,
    example: examples.transferReceivedAdvice,
    breakIt: (m) => void (payloadOf(m).fpsId = 'x'),
    path: 'payload.fpsId',
    expected: /Faster Payments id/,
  },
  CardFrozenAdvice: {
    schema: contracts.Advice,
    example: examples.cardFrozenAdvice,
    breakIt: (m) => void (payloadOf(m).requestedBy = 'robot'),
    path: 'payload.requestedBy',
    expected: /expected one of/i,
  },
  CardUnfrozenAdvice: {
    schema: contracts.Advice,
    example: examples.cardUnfrozenAdvice,
    breakIt: (m) => void (m.adviceId = 'not-a-uuid'),
    path: 'adviceId',
    expected: /UUID/,
  },
  DeadLetteredAdvice: {
    schema: contracts.DeadLetteredAdvice,
    example: examples.deadLetteredAdvice,
    breakIt: (m) => void (m.bodyBase64 = '***'),
    path: 'bodyBase64',
    expected: /base64/,
  },
  ConfigurationDocument: {
    schema: contracts.ConfigurationDocument,
    example: examples.configurationDocument,
    breakIt: (m) => void ((m.components as Example).cardPaymentsInbound = { mode: 'percent', percent: 150 }),
    path: 'components.cardPaymentsInbound.percent',
    expected: /percentage from 0 to 100/,
  },
  ConfigurationChange: {
    schema: contracts.ConfigurationChange,
    example: examples.configurationChange,
    breakIt: (m) => void (m.reason = ''),
    path: 'reason',
    expected: /reason for the change/,
  },
  StatusResponse: {
    schema: contracts.StatusResponse,
    example: examples.statusResponse,
    breakIt: (m) => void (m.talkTo = 'mars'),
    path: 'talkTo',
    expected: /expected one of/i,
  },
  AdvicesInFlightReport: {
    schema: contracts.AdvicesInFlightReport,
    example: examples.advicesInFlightReport,
    breakIt: (m) => void ((m.byUser as Example[])[0]!.publishedNotApplied = -1),
    path: 'byUser[0].publishedNotApplied',
    expected: />=0|at least 0|too small/i,
  },
};

// Examples share nested objects; each test gets its own deep copy to break.
const cases = Object.fromEntries(Object.entries(rawCases).map(([name, c]) => [name, { ...c, example: () => structuredClone(c.example()) }]));

describe('shared contracts', () => {
  describe.each(Object.entries(cases))('%s', (name, c) => {
    test('when the message is valid, then it parses to the same data', () => {
      const message = c.example();
      expect(parseContract(name, c.schema, message)).toEqual(message);
    });

    test('when one field is broken, then the error names that field and what was expected', () => {
      const message = c.example();
      c.breakIt(message);
      const result = safeParseContract(name, c.schema, message);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(ContractError);
      expect(result.error.code).toBe('CONTRACT_INVALID');
      const issue = result.error.issues.find((i) => i.path === c.path);
      expect(issue).toBeDefined();
      expect(issue?.message).toMatch(c.expected);
      expect(result.error.message).toContain(`${name} is invalid: `);
      expect(result.error.message).toContain(c.path);
    });
  });

  test('when an event type is not one stand-in needs, then its header still parses so the syncer can skip it', () => {
    const unknown = { ...examples.accountOpened(), type: 'pot.interest_accrued', payload: { anything: 1 } };
    expect(contracts.PrimaryEvent.safeParse(unknown).success).toBe(false);
    expect(contracts.PrimaryEventHeader.parse(unknown).type).toBe('pot.interest_accrued');
  });

  test('when several fields are wrong, then every one is reported', () => {
    const message = examples.cardAuthorisationRequest();
    message.pan = '4000-0000';
    message.amountMinor = -5;
    expect(() => parseContract('card authorisation request', contracts.CardAuthorisationRequest, message)).toThrow(
      /pan: .*12 to 19 digits.*amountMinor: .*positive/,
    );
  });

  test('when a PAN is rejected, then the error does not repeat the PAN back', () => {
    const message = examples.cardAuthorisationRequest();
    message.pan = '40000012345678991234';
    const result = safeParseContract('card authorisation request', contracts.CardAuthorisationRequest, message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).not.toContain('40000012345678991234');
  });

  test('when a reversal advice carries a PAN, then it is refused: advices name the card by id only', () => {
    const message = examples.cardPaymentReversalAcknowledgedAdvice();
    (message.payload.reversal as Record<string, unknown>).pan = '4598760000000001';
    const result = safeParseContract('reversal advice', contracts.Advice, message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).not.toContain('4598760000000001');
  });

  test('every event and advice type has a valid example here', () => {
    const eventTypes = new Set(
      Object.values(cases)
        .filter((c) => c.schema === contracts.PrimaryEvent)
        .map((c) => c.example().type),
    );
    const adviceTypes = new Set(
      Object.values(cases)
        .filter((c) => c.schema === contracts.Advice)
        .map((c) => c.example().type),
    );
    expect([...eventTypes].sort()).toEqual([...contracts.PRIMARY_EVENT_TYPES].sort());
    expect([...adviceTypes].sort()).toEqual([...contracts.ADVICE_TYPES].sort());
  });
});

describe("stand-in's rules in the configuration document (issue 21)", () => {
  test('when a document was written before the rules existed, then it reads with the default rules, the same on both platforms', () => {
    const { standinRules, ...older } = examples.configurationDocument();
    expect(standinRules).toBeDefined();
    expect(contracts.ConfigurationDocument.parse(older).standinRules).toEqual(contracts.DEFAULT_STANDIN_RULES);
    expect(contracts.INITIAL_CONFIGURATION.standinRules).toEqual(contracts.DEFAULT_STANDIN_RULES);
  });

  test('when a staleness schedule would allow older data more, or steps are out of order, then it is refused', () => {
    const withSchedule = (staleness: unknown) => contracts.StandinRules.safeParse({ ...contracts.DEFAULT_STANDIN_RULES, staleness }).success;
    expect(
      withSchedule([
        { olderThanMinutes: 60, limitPercent: 50 },
        { olderThanMinutes: 1_440, limitPercent: 50 },
      ]),
    ).toBe(true);
    expect(
      withSchedule([
        { olderThanMinutes: 60, limitPercent: 10 },
        { olderThanMinutes: 1_440, limitPercent: 50 },
      ]),
    ).toBe(false);
    expect(
      withSchedule([
        { olderThanMinutes: 1_440, limitPercent: 50 },
        { olderThanMinutes: 60, limitPercent: 25 },
      ]),
    ).toBe(false);
  });

  test('when a rule names an unknown channel, a category that is not four digits, or a card by anything but its id, then it is refused', () => {
    const rules = (change: Record<string, unknown>) => contracts.StandinRules.safeParse({ ...contracts.DEFAULT_STANDIN_RULES, ...change }).success;
    expect(rules({ channels: { teleport: { blocked: true } } })).toBe(false);
    expect(rules({ merchantCategories: { '79': { blocked: true } } })).toBe(false);
    expect(rules({ blockedCards: ['4000123412341234'] })).toBe(false);
    expect(rules({ maxPerPaymentMinor: -1 })).toBe(false);
  });
});
