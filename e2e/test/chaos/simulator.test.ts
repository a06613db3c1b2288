import type { StatusResponse } from '@bank/shared-contracts';
import { panFinder } from '../../src/chaos/invariants/pan-finder';
import { figuresOf } from '../../src/chaos/message-figures';
import { decideFromStatuses, summariseAppUser } from '../../src/simulator/app-client';
import { startFasterPaymentsScheme } from '../../src/simulator/faster-payments-scheme';
import { classifyAnswer } from '../../src/simulator/payment-network';
import { mulberry32 } from '../../src/simulator/prng';
import type { Exchange } from '../../src/simulator/ground-truth';

// The simulators' own rules, without the system: what the network makes of an answer, what an app
// decides from two status answers, that a seed replays, and that the scheme endpoint behaves like
// the real scheme (one answer per FPS id, every submission counted).

test('when the same seed is given twice, then the load makes the same choices', () => {
  const draw = (seed: number) => {
    const prng = mulberry32(seed);
    return Array.from({ length: 20 }, () => [prng.int(100, 6_000), prng.weighted({ purchase: 55, atm: 12, credit: 18 }), prng.chars(6, 'ABC')]);
  };
  expect(draw(42)).toEqual(draw(42));
  expect(draw(42)).not.toEqual(draw(43));
});

test("when the gateway answers 504 with response code 91, then the network records the gateway's no-answer, not a platform's decline", () => {
  const answer = (status: number, body: unknown) => ({ kind: 'answer' as const, status, body, elapsedMs: 10, text: JSON.stringify(body) });
  expect(classifyAnswer('purchase', answer(504, { error: { code: 'GATEWAY_NO_ANSWER', message: 'primary refused' }, responseCode: '91' }))).toMatchObject({
    verdict: 'gateway-no-answer',
    responseCode: '91',
  });
  expect(classifyAnswer('purchase', answer(200, { responseCode: '51', decidedBy: 'standin' }))).toMatchObject({
    verdict: 'declined',
    decidedBy: 'standin',
    responseCode: '51',
  });
  expect(classifyAnswer('clearing', answer(503, { error: { code: 'GATEWAY_CLEARING_DEFERRED' } }))).toMatchObject({ verdict: 'deferred' });
  expect(classifyAnswer('fps-credit', answer(200, { status: 'accepted', decidedBy: 'primary' }))).toMatchObject({ verdict: 'accepted', decidedBy: 'primary' });
  expect(classifyAnswer('purchase', { kind: 'no-answer', reason: 'ECONNREFUSED', elapsedMs: 1 })).toEqual({ verdict: 'no-answer', detail: 'ECONNREFUSED' });
});

test('when an answer comes after the deadline, then it counts as late, not as answered in time', () => {
  const exchange = (timing: Exchange['timing'], verdict: Exchange['verdict']) => ({ timing, verdict }) as Exchange;
  const figures = figuresOf([
    exchange('on-time', 'approved'),
    exchange('late', 'approved'),
    exchange('missing', 'no-answer'),
    exchange('on-time', 'gateway-no-answer'),
  ]);
  expect(figures).toMatchObject({ sent: 4, answeredWithinDeadline: 2, approvals: 2, late: 1, missing: 1, gatewayNoAnswer: 1 });
});

test('when one platform does not answer, then the app goes by the other; with both, by the newer configuration', () => {
  const status = (platform: 'primary' | 'standin', version: number, talkTo: 'primary' | 'standin'): StatusResponse => ({
    platform,
    configurationVersion: version,
    experience: talkTo === 'standin' ? 'standin' : 'full',
    talkTo,
    checkedAt: new Date().toISOString(),
  });
  expect(decideFromStatuses({ standin: status('standin', 2, 'standin') })).toMatchObject({ talkTo: 'standin', answeredBy: ['standin'] });
  expect(decideFromStatuses({ primary: status('primary', 1, 'primary'), standin: status('standin', 2, 'standin') })).toMatchObject({
    talkTo: 'standin',
    configurationVersion: 2,
  });
  expect(decideFromStatuses({})).toBeUndefined();

  const decision = (talkTo: 'primary' | 'standin') => ({ talkTo, experience: 'full' as const, configurationVersion: 1, answeredBy: [talkTo] });
  const summary = summariseAppUser('u1', [
    { atMs: 0, user: 'u1', decision: decision('primary'), callOk: true },
    { atMs: 1_000, user: 'u1', callOk: false },
    { atMs: 2_000, user: 'u1', decision: decision('standin'), callOk: true },
  ]);
  expect(summary).toMatchObject({ polls: 3, failedCalls: 1, talkedTo: { primary: 1, standin: 1, offline: 1 } });
  expect(summary.switches.map((s) => `${s.from}->${s.to}`)).toEqual(['primary->offline', 'offline->standin']);
});

test('when a PAN sits inside a longer run of digits, then it is still found, and reported masked', () => {
  const finder = panFinder(['4598761234567890']);
  expect(finder.find('ref 0045987612345678901 and 4598761234567891')).toEqual(['459876******7890']);
  expect(finder.find('4598 7612 3456 7890')).toEqual([]);
});

test('when a platform submits the same outbound payment twice, then the scheme answers the same and counts both submissions', async () => {
  const scheme = await startFasterPaymentsScheme();
  try {
    const payment = {
      fpsId: 'FPS-TEST-0001',
      amountMinor: 1_250,
      currency: 'GBP',
      debtor: { sortCode: '608371', accountNumber: '11112222', name: 'Payer' },
      creditor: { sortCode: '200000', accountNumber: '12345678', name: 'Landlord' },
      reference: 'RENT',
      sentAt: new Date().toISOString(),
    };
    const submit = async (body: unknown) => {
      const response = await fetch(`${scheme.url}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await submit(payment)).toEqual({ status: 200, body: { fpsId: 'FPS-TEST-0001', status: 'accepted' } });
    expect(await submit(payment)).toEqual({ status: 200, body: { fpsId: 'FPS-TEST-0001', status: 'accepted' } });
    expect((await submit({ ...payment, fpsId: 'FPS-TEST-0002', creditor: { ...payment.creditor, name: 'Closed Account' } })).body).toMatchObject({
      status: 'rejected',
      rejectReason: 'account_closed',
    });
    expect((await submit({ ...payment, amountMinor: 0 })).status).toBe(400);
    expect(scheme.received().map((p) => [p.fpsId, p.submissions, p.answer.status])).toEqual([
      ['FPS-TEST-0001', 2, 'accepted'],
      ['FPS-TEST-0002', 1, 'rejected'],
    ]);
  } finally {
    await scheme.close();
  }
});
