import { z } from 'zod';
import { Rrn, Stan, TerminalId, UNSTORABLE_TEXT, type CardAuthorisationResponse, type ContractIssue } from '@bank/shared-contracts';

// Stand-in's answer to a card message it cannot store (a NUL or an unpaired surrogate in the
// merchant's name: PostgreSQL refuses such text): ISO response code 30, "format error". The
// network gets an ISO answer in time that names the field, never an HTTP 500 without one.

const Answerable = z.object({ mti: z.enum(['0100', '0200']), stan: Stan, rrn: Rrn, terminalId: TerminalId });

export function formatErrorAnswer(raw: unknown, reason: string): CardAuthorisationResponse | undefined {
  const key = Answerable.safeParse(raw);
  if (!key.success) return undefined;
  return {
    mti: key.data.mti === '0100' ? '0110' : '0210',
    stan: key.data.stan,
    rrn: key.data.rrn,
    terminalId: key.data.terminalId,
    responseCode: '30',
    approvedAmountMinor: 0,
    decidedBy: 'standin',
    reason: reason.slice(0, 200),
  };
}

/** Fields refused only because their text cannot be stored: those get a 30; any other fault stays a 400. */
export const unstorableFields = (issues: readonly ContractIssue[]): string[] =>
  issues.filter((issue) => issue.message === UNSTORABLE_TEXT).map((issue) => issue.path);

/** PostgreSQL's class 22 (data exception): the message's content is at fault, not stand-in. */
export const isDataException = (failure: unknown): boolean => String((failure as { code?: unknown }).code ?? '').startsWith('22');
