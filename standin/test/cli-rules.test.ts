import { DEFAULT_STANDIN_RULES, StandinRules } from '@bank/shared-contracts';
import { blockCard, cardIdArgument, renderRules, ruleDifferences, setRules, stalenessSchedule } from '../src/cli/rules-command';

// `standin rules …`: each command edits the rules in force into a whole new rule set the
// contract accepts, refuses what it cannot mean before anything is sent, and says what changed.

const rules = DEFAULT_STANDIN_RULES;
const CARD = '0f0e3c52-8a9b-4b51-9d6f-2f4c1a7e9b10';

test('a channel limit, a blocked category, and counts since primary was last heard from', () => {
  const online = setRules(rules, { channel: 'ecommerce', 'max-per-payment': '10000' });
  expect(online.channels).toEqual({ ecommerce: { blocked: false, maxPerPaymentMinor: 10_000 } });
  const blocked = setRules(online, { mcc: '7995', block: true, description: 'gambling' });
  expect(blocked.merchantCategories).toEqual({ '7995': { blocked: true, description: 'gambling' } });
  // --allow lifts the block and keeps the rest; --clear removes the rule.
  expect(setRules(blocked, { mcc: '7995', allow: true }).merchantCategories).toEqual({ '7995': { blocked: false, description: 'gambling' } });
  expect(setRules(blocked, { mcc: '7995', clear: true }).merchantCategories).toEqual({});
  const since = setRules(blocked, { 'since-heard': 'cash', 'max-count': '2', 'max-amount': '20000' });
  expect(since.sinceLastHeard).toEqual({ purchases: {}, cash: { maxCount: 2, maxAmountMinor: 20_000 } });
  expect(setRules(since, { 'since-heard': 'cash', 'max-count': 'none' }).sinceLastHeard.cash).toEqual({ maxAmountMinor: 20_000 });
  const general = setRules(since, { 'max-per-payment': '20000', 'max-per-day': '60000' });
  expect(general).toMatchObject({ maxPerPaymentMinor: 20_000, maxPerAccountPerDayMinor: 60_000 });
  // Every result is a rule set the configuration accepts.
  for (const result of [online, blocked, since, general]) expect(StandinRules.safeParse(result).success).toBe(true);
});

test.each<[string, Parameters<typeof setRules>[1], RegExp]>([
  ['an unknown channel', { channel: 'teleport', 'max-per-payment': '1' }, /expected chip, contactless/],
  ['pounds instead of pence', { 'max-per-payment': '12.50' }, /whole number of pence/],
  ['a category code that is not four digits', { mcc: '79', block: true }, /4-digit merchant category code/],
  ['two scopes at once', { channel: 'atm', mcc: '6011', block: true }, /one of --channel, --mcc or --since-heard/],
  ['block and allow at once', { channel: 'atm', block: true, allow: true }, /one of --block, --allow or --clear/],
  ['a per-day limit on a channel', { channel: 'atm', 'max-per-day': '100' }, /per account, not per channel/],
  ['nothing to change', {}, /say what to change/],
  ['a count without --since-heard', { 'max-count': '3' }, /go with --since-heard/],
  ['"none" for the general limit', { 'max-per-payment': 'none' }, /whole number of pence/],
  // Flags of another scope are refused, not dropped (found in review).
  ['a count with a channel', { channel: 'atm', 'max-per-payment': '5000', 'max-count': '3' }, /--max-count cannot go with --channel/],
  [
    'a per-payment limit with --since-heard',
    { 'since-heard': 'cash', 'max-per-payment': '100', 'max-amount': '1' },
    /--max-per-payment cannot go with --since-heard/,
  ],
])('refuses %s', (_case, options, message) => {
  expect(() => setRules(rules, options)).toThrow(message);
});

test('the staleness schedule and blocked cards', () => {
  expect(stalenessSchedule('60:50,1440:10')).toEqual([
    { olderThanMinutes: 60, limitPercent: 50 },
    { olderThanMinutes: 1_440, limitPercent: 10 },
  ]);
  expect(stalenessSchedule('none')).toEqual([]);
  expect(() => stalenessSchedule('1440:50,60:10')).toThrow(/ascending order/);
  expect(() => stalenessSchedule('1440:150')).toThrow(/percentage from 0 to 100/);
  // A schedule that allows more for older data would loosen with age (found in review).
  expect(() => stalenessSchedule('60:10,1440:50')).toThrow(/no more than the one before it/);
  expect(() => stalenessSchedule('a day')).toThrow(/not <minutes>:<percent>/);
  const withCard = blockCard(rules, cardIdArgument(CARD.toUpperCase()), true);
  expect(withCard.blockedCards).toEqual([CARD]);
  expect(blockCard(withCard, CARD, true).blockedCards).toEqual([CARD]);
  expect(blockCard(withCard, CARD, false).blockedCards).toEqual([]);
  expect(() => cardIdArgument('4000123412341234')).toThrow(/never a card number/);
});

test('what changed reads as the engineer would say it, and the rules read back the same', () => {
  const after = setRules(setRules(rules, { channel: 'ecommerce', 'max-per-payment': '10000' }), { mcc: '7995', block: true, description: 'gambling' });
  expect(ruleDifferences(rules, after)).toEqual([
    { what: 'rule: e-commerce', from: 'no rule', to: '£100.00 per payment', loosens: false },
    { what: 'rule: MCC 7995', from: 'no rule', to: 'BLOCKED: nothing approved (gambling)', loosens: false },
  ]);
  expect(ruleDifferences(after, after)).toEqual([]);
  // Going back (a reset, a lifted block, a raised limit, a later staleness step) loosens: it is confirmed.
  expect(ruleDifferences(after, rules).map((difference) => difference.loosens)).toEqual([true, true]);
  expect(ruleDifferences(rules, setRules(rules, { 'max-per-payment': '60000' }))[0]).toMatchObject({ loosens: true });
  expect(ruleDifferences(rules, { ...rules, staleness: stalenessSchedule('2880:50,10080:25') })[0]).toMatchObject({ loosens: true });
  expect(ruleDifferences(rules, { ...rules, staleness: stalenessSchedule('1440:40,10080:25') })[0]).toMatchObject({ loosens: false });
  expect(ruleDifferences(blockCard(rules, CARD, true), rules)[0]).toMatchObject({ what: 'rule: blocked cards', loosens: true });
  const shown = renderRules(after, 7);
  expect(shown).toMatch(/configuration version 7/);
  expect(shown).toMatch(/per payment +£500\.00/);
  expect(shown).toMatch(/staleness +over 1 day old: 50%; over 7 days old: 25%/);
  expect(shown).toMatch(/e-commerce +£100\.00 per payment/);
  expect(shown).toMatch(/7995 gambling +BLOCKED: nothing approved/);
});
