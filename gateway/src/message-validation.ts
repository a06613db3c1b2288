import { safeParseContract } from '@bank/shared-contracts';
import { gatewayErrors } from './errors';
import type { SchemeMessageKind } from './scheme-messages';

/**
 * Checks the body of a scheme message against its shared contract, before anything is forwarded.
 * The gateway forwards the bytes it received, not this parse: the platforms see exactly what the
 * network sent. Throws a 400 GatewayError naming every bad field.
 */
export function readSchemeMessage(kind: SchemeMessageKind, body: unknown): unknown {
  if (!Buffer.isBuffer(body) || body.length === 0) throw gatewayErrors.notJson(kind.description);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    // JSON.parse's own message quotes the input around the fault, which may be a card number.
    throw gatewayErrors.notJson(kind.description);
  }
  const parsed = safeParseContract(kind.description, kind.schema, json);
  // The contracts' issues never carry a card number: shared-contracts masks them as it builds them.
  if (!parsed.ok) throw gatewayErrors.invalidMessage(kind.description, parsed.error.issues);
  return parsed.value;
}

/** Fields that identify a message in logs without revealing the card. */
export function messageKeyForLogs(message: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (message && typeof message === 'object') {
    for (const name of ['stan', 'rrn', 'terminalId', 'clearingId', 'fpsId'] as const) {
      const value = (message as Record<string, unknown>)[name];
      if (typeof value === 'string') fields[name] = value;
    }
  }
  return fields;
}
