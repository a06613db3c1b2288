import { z } from 'zod';

/** One thing wrong with a message: where it is (`merchant.categoryCode`) and what was expected. */
export interface ContractIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown when a message crossing a boundary does not match its contract. The code is
 * stable public API; the message names every offending field so the sender can fix it.
 */
export class ContractError extends Error {
  readonly code = 'CONTRACT_INVALID';
  constructor(
    readonly contract: string,
    readonly issues: readonly ContractIssue[],
  ) {
    super(`${contract} is invalid: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`);
    this.name = 'ContractError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(message)';
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`)).join('');
}

/**
 * A run of digits as long as a card number. Zod's messages never quote the input, but a key the
 * schema does not know is quoted ("Unrecognized key: ..."), and a sender can put anything in a key
 * or a URL: whatever echoes the caller's text back passes it through this first.
 */
const CARD_NUMBER_LIKE = /\d{12,19}/g;

export function withoutCardNumbers(text: string): string {
  return text.replace(CARD_NUMBER_LIKE, '[card number]');
}

export function issuesOf(error: z.ZodError): ContractIssue[] {
  return error.issues.map((issue) => ({ path: withoutCardNumbers(formatPath(issue.path)), message: withoutCardNumbers(issue.message) }));
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ContractError };

/** Validates without throwing, for boundaries that reply with the error instead. */
export function safeParseContract<S extends z.ZodType>(contract: string, schema: S, input: unknown): ParseResult<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new ContractError(contract, issuesOf(result.error)) };
}

/** Validates and returns the typed message, or throws a ContractError naming every bad field. */
export function parseContract<S extends z.ZodType>(contract: string, schema: S, input: unknown): z.output<S> {
  const result = safeParseContract(contract, schema, input);
  if (!result.ok) throw result.error;
  return result.value;
}
