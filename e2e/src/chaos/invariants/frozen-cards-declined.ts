import { randomBytes, randomInt } from 'node:crypto';
import type { CardAuthorisationRequest, CardAuthorisationResponse, Platform } from '@bank/shared-contracts';
import { timedRequest } from '../../simulator/timed-request';
import { listed, keyOf, type InvariantContext, type InvariantResult } from './invariant-result';
import { CREDENTIALS } from '../../stack/credentials';

// Invariant 6: a frozen card is declined on both platforms once the freeze is synced or advised.
// From the ground truth: no approval of a frozen card's authorisation sent after the freeze became
// visible on the platform that decided it (visible = the freeze call's answer on the platform it
// was made on; on the other, the time the syncer recorded the event or primary applied the advice).
// Then a probe: one authorisation per frozen card sent straight to each platform, which must decline.

/** Clocks are one machine's, but a freeze becomes visible at commit, a moment after it is timestamped. */
const VISIBILITY_TOLERANCE_MS = 250;
export const PROBE_TERMINAL = 'PROBE001';

interface CardVerdict {
  readonly cardId: string;
  readonly frozenThrough: Platform;
  readonly visibleAt: Partial<Record<Platform, string>>;
  readonly probe: Partial<Record<Platform, { responseCode?: string; decidedBy?: string; reason?: string; problem?: string }>>;
}

async function visibleInStandin(context: Pick<InvariantContext, 'standinDb'>, cardId: string): Promise<number | undefined> {
  const { rows } = await context.standinDb.query<{ at: Date | null }>(
    `select min(e.synced_at) as at from synced_cards c join synced_events e on e.account_id = c.account_id and e.sequence = c.sequence
     where c.card_id = $1 and c.status = 'frozen'`,
    [cardId],
  );
  return rows[0]?.at ? rows[0].at.getTime() : undefined;
}

async function visibleInPrimary(context: Pick<InvariantContext, 'standinDb' | 'primaryDb'>, cardId: string): Promise<number | undefined> {
  const advices = (
    await context.standinDb.query<{ advice_id: string }>("select advice_id from advices where type = 'card.frozen' and advice->'payload'->>'cardId' = $1", [
      cardId,
    ])
  ).rows.map((row) => row.advice_id);
  if (advices.length === 0) return undefined;
  const { rows } = await context.primaryDb.query<{ at: Date | null }>('select min(applied_at) as at from applied_advices where advice_id = any($1::uuid[])', [
    advices,
  ]);
  return rows[0]?.at ? rows[0].at.getTime() : undefined;
}

async function probe(url: string, card: { pan: string; expiry: string }): Promise<CardVerdict['probe'][Platform]> {
  const message: CardAuthorisationRequest = {
    mti: '0100',
    pan: card.pan,
    expiry: card.expiry,
    processingCode: '000000',
    amountMinor: 100,
    currency: 'GBP',
    transmittedAt: new Date().toISOString(),
    stan: String(randomInt(0, 1_000_000)).padStart(6, '0'),
    rrn: randomBytes(6).toString('hex').toUpperCase(),
    terminalId: PROBE_TERMINAL,
    acquirerId: '12345678',
    merchant: { name: 'FREEZE PROBE', categoryCode: '5999', city: 'London', country: 'GB' },
    posEntryMode: 'ecommerce',
  };
  // Straight to the platform, as the gateway would send it.
  const result = await timedRequest({ method: 'POST', url: `${url}/scheme/card/authorisations`, body: message, token: CREDENTIALS.gateway, giveUpMs: 5_000 });
  if (result.kind === 'no-answer') return { problem: result.reason };
  if (result.status !== 200) return { problem: `HTTP ${result.status}` };
  const answer = result.body as CardAuthorisationResponse;
  return { responseCode: answer.responseCode, decidedBy: answer.decidedBy, ...(answer.reason ? { reason: answer.reason } : {}) };
}

export async function checkFrozenCardsDeclined(
  context: Pick<InvariantContext, 'frozenCards' | 'exchanges' | 'standinDb' | 'primaryDb' | 'urls'>,
): Promise<InvariantResult> {
  const verdicts: CardVerdict[] = [];
  const approvedAfterFreeze: { cardId: string; key: string; decidedBy?: string; sentAt: string; freezeVisibleAt: string }[] = [];
  const neverVisible: { cardId: string; platform: Platform }[] = [];
  const probeApproved: { cardId: string; platform: Platform; answer: unknown }[] = [];

  for (const frozen of context.frozenCards) {
    const cardId = frozen.customer.card.id;
    const through = frozen.exchange.via === 'standin' ? 'standin' : 'primary';
    const answeredAt = frozen.exchange.sentAtMs + frozen.exchange.elapsedMs;
    const visible: Record<Platform, number | undefined> = {
      primary: through === 'primary' ? answeredAt : await visibleInPrimary(context, cardId),
      standin: through === 'standin' ? answeredAt : await visibleInStandin(context, cardId),
    };
    for (const platform of ['primary', 'standin'] as const) if (visible[platform] === undefined) neverVisible.push({ cardId, platform });

    for (const exchange of context.exchanges) {
      if (
        exchange.cardId !== cardId ||
        exchange.verdict !== 'approved' ||
        (exchange.kind !== 'purchase' && exchange.kind !== 'atm-withdrawal') ||
        !exchange.decidedBy
      )
        continue;
      const since = visible[exchange.decidedBy];
      if (since !== undefined && exchange.sentAtMs > since + VISIBILITY_TOLERANCE_MS) {
        approvedAfterFreeze.push({
          cardId,
          key: keyOf(exchange.key!),
          decidedBy: exchange.decidedBy,
          sentAt: exchange.sentAt,
          freezeVisibleAt: new Date(since).toISOString(),
        });
      }
    }

    const answers = { primary: await probe(context.urls.primary, frozen.customer.card), standin: await probe(context.urls.standin, frozen.customer.card) };
    for (const platform of ['primary', 'standin'] as const) {
      const answer = answers[platform];
      if (!answer || answer.problem || answer.responseCode === '00') probeApproved.push({ cardId, platform, answer });
    }
    verdicts.push({
      cardId,
      frozenThrough: through,
      visibleAt: Object.fromEntries(
        (['primary', 'standin'] as const).filter((p) => visible[p] !== undefined).map((p) => [p, new Date(visible[p]!).toISOString()]),
      ),
      probe: answers,
    });
  }

  const passed = context.frozenCards.length > 0 && approvedAfterFreeze.length === 0 && neverVisible.length === 0 && probeApproved.length === 0;
  return {
    id: 6,
    name: 'a frozen card is declined on both platforms once the freeze is synced or advised',
    passed,
    summary:
      context.frozenCards.length === 0
        ? 'no card was frozen in this run: nothing to check'
        : passed
          ? `${context.frozenCards.length} frozen cards (${verdicts.filter((v) => v.frozenThrough === 'standin').length} frozen in stand-in): no approval after the freeze was visible; both platforms decline each (${[...new Set(verdicts.flatMap((v) => Object.values(v.probe).map((a) => a?.responseCode)))].join(', ')})`
          : `approved after the freeze ${approvedAfterFreeze.length}, freeze never visible ${neverVisible.length}, probe not declined ${probeApproved.length}`,
    evidence: { cards: verdicts, approvedAfterFreeze: listed(approvedAfterFreeze), freezeNeverVisible: neverVisible, probeNotDeclined: probeApproved },
  };
}
