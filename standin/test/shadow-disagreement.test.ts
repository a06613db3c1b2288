import fc from 'fast-check';
import { classifyDisagreement, shadowMessageType, type DisagreementFacts } from '../src/shadow/disagreement';

const inSync: DisagreementFacts = {
  primaryApproved: true,
  standinApproved: false,
  standinHandlesKind: true,
  primaryKnewAccount: true,
  standinKnewCard: true,
  primaryAccountSequence: 7,
  standinAccountSequence: 7,
  standinApprovesWithoutRiskLimits: false,
  standinApprovesWithoutOwnEffects: false,
};

const facts = fc.record({
  primaryApproved: fc.boolean(),
  standinApproved: fc.boolean(),
  standinHandlesKind: fc.boolean(),
  primaryKnewAccount: fc.boolean(),
  standinKnewCard: fc.boolean(),
  primaryAccountSequence: fc.option(fc.nat({ max: 50 }), { nil: undefined }),
  standinAccountSequence: fc.option(fc.nat({ max: 50 }), { nil: undefined }),
  standinApprovesWithoutRiskLimits: fc.boolean(),
  standinApprovesWithoutOwnEffects: fc.boolean(),
  standinApprovesAtPrimarysSequence: fc.option(fc.boolean(), { nil: undefined }),
});

describe('classifying a disagreement between primary and stand-in', () => {
  test.each<[string, Partial<DisagreementFacts>, ReturnType<typeof classifyDisagreement>]>([
    ['both approved', { standinApproved: true }, undefined],
    ['both declined (whatever the codes)', { primaryApproved: false }, undefined],
    ['stand-in behind primary on the account', { standinAccountSequence: 6 }, 'sync_lag'],
    ['stand-in has synced nothing for the account', { standinAccountSequence: undefined }, 'sync_lag'],
    ['stand-in does not know the card primary knew', { standinKnewCard: false }, 'sync_lag'],
    ['stand-in declined only for its risk limits', { standinApprovesWithoutRiskLimits: true }, 'standin_risk_limit'],
    ['stand-in declined for its risk limits while also behind', { standinApprovesWithoutRiskLimits: true, standinAccountSequence: 3 }, 'standin_risk_limit'],
    ['stand-in declined because of its own unadvised spending', { standinApprovesWithoutOwnEffects: true }, 'advices_in_flight'],
    [
      'stand-in approved thanks to its own unadvised credit',
      { primaryApproved: false, standinApproved: true, standinApprovesWithoutOwnEffects: false },
      'advices_in_flight',
    ],
    ['in sync and nothing explains it', {}, 'unexplained'],
    [
      "stand-in's view past primary's decision, and on primary's balance it would approve",
      { standinAccountSequence: 8, standinApprovesAtPrimarysSequence: true },
      'sync_lag',
    ],
    [
      "stand-in's view past primary's decision, over its limit on primary's balance too",
      { standinAccountSequence: 8, standinApprovesAtPrimarysSequence: false, standinApprovesWithoutRiskLimits: true },
      'standin_risk_limit',
    ],
    [
      "stand-in's view past primary's decision, declining on primary's balance for no known reason",
      { standinAccountSequence: 8, standinApprovesAtPrimarysSequence: false },
      'unexplained',
    ],
    ['a refund, which stand-in declines by design', { standinHandlesKind: false, standinAccountSequence: 3 }, 'standin_does_not_handle'],
    [
      'stand-in approved what primary declined, in sync',
      { primaryApproved: false, standinApproved: true, standinApprovesWithoutOwnEffects: true },
      'unexplained',
    ],
    ['primary did not say its sequence, nothing else explains it', { primaryAccountSequence: undefined }, 'unexplained'],
  ])('%s → %s', (_case, change, expected) => {
    expect(classifyDisagreement({ ...inSync, ...change })).toBe(expected);
  });

  test('property: a reason exactly when the outcomes differ', () => {
    fc.assert(fc.property(facts, (f) => (classifyDisagreement(f) === undefined) === (f.primaryApproved === f.standinApproved)));
  });

  test('property: risk limits explain only a stand-in decline of a primary approval', () => {
    fc.assert(fc.property(facts, (f) => classifyDisagreement(f) !== 'standin_risk_limit' || (f.primaryApproved && !f.standinApproved)));
  });

  test('property: a stand-in behind primary is never reported as a defect', () => {
    fc.assert(
      fc.property(facts, fc.nat({ max: 50 }), fc.integer({ min: 1, max: 10 }), (f, synced, behind) => {
        const reason = classifyDisagreement({ ...f, standinAccountSequence: synced, primaryAccountSequence: synced + behind });
        return reason === undefined || reason === 'sync_lag' || reason === 'standin_risk_limit' || reason === 'standin_does_not_handle';
      }),
    );
  });

  test('property: in sync, knowing the card, and no "what if" changing the outcome is a defect', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat({ max: 50 }), fc.nat({ max: 5 }), (primaryApproved, sequence, ahead) => {
        const standinApproved = !primaryApproved;
        const reason = classifyDisagreement({
          primaryApproved,
          standinApproved,
          standinHandlesKind: true,
          primaryKnewAccount: true,
          standinKnewCard: true,
          primaryAccountSequence: sequence,
          standinAccountSequence: sequence + ahead,
          standinApprovesWithoutRiskLimits: standinApproved,
          standinApprovesWithoutOwnEffects: standinApproved,
        });
        return reason === 'unexplained';
      }),
    );
  });
});

describe('the message type of a shadowed card message', () => {
  test.each([
    ['0100', '000000', 'purchase'],
    ['0200', '000000', 'purchase_single_message'],
    ['0100', '010000', 'cash'],
    ['0200', '011000', 'cash'],
    ['0100', '200000', 'refund'],
  ] as const)('%s with processing code %s is %s', (mti, processingCode, type) => {
    expect(shadowMessageType({ mti, processingCode })).toBe(type);
  });

  test('any other transaction type is refused with a code and what to send instead', () => {
    expect(() => shadowMessageType({ mti: '0100', processingCode: '300000' })).toThrow(
      expect.objectContaining({ code: 'STANDIN_SHADOW_MESSAGE_TYPE_UNKNOWN', message: expect.stringContaining('purchases (00)') }),
    );
  });
});
