import { z } from 'zod';
import { Stan, Rrn, TerminalId, UNSTORABLE_TEXT, type CardAuthorisationResponse, type ContractIssue } from '@bank/shared-contracts';

// Response code 30, "format error": a card message primary cannot store (NUL or an unpaired
// surrogate in the merchant's name, text PostgreSQL refuses) is the sender's fault, not an outage.
// The network still needs an ISO answer, in time, that names the field; a 91 would send it to its
// own stand-in as if the issuer were down, and an HTTP 500 tells it nothing.

const AnswerableKey = z.object({ mti: z.enum(['0100', '0200']), stan: Stan, rrn: Rrn, terminalId: TerminalId });

function formatError(raw: unknown, reason: string): CardAuthorisationResponse | undefined {
  const key = AnswerableKey.safeParse(raw);
  if (!key.success) return undefined;
  const { mti, stan, rrn, terminalId } = key.data;
  return {
    mti: mti === '0100' ? '0110' : '0210',
    stan,
    rrn,
    terminalId,
    responseCode: '30',
    approvedAmountMinor: 0,
    decidedBy: 'primary',
    reason: reason.slice(0, 200),
  };
}

/** The 30 answer for an authorisation refused only for text that cannot be stored; undefined for other faults (a 400). */
export function unstorableTextAnswer(raw: unknown, issues: readonly ContractIssue[]): CardAuthorisationResponse | undefined {
  const unstorable = issues.filter((issue) => issue.message === UNSTORABLE_TEXT);
  if (unstorable.length === 0) return undefined;
  return formatError(raw, `format error: ${unstorable.map((issue) => issue.path).join(', ')}: ${UNSTORABLE_TEXT}`);
}

/** PostgreSQL's data exceptions (class 22): the message's content, not the database, is at fault. */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

export function dataExceptionAnswer(raw: unknown): CardAuthorisationResponse | undefined {
  return formatError(raw, 'format error: the message holds a value primary cannot store');
}
