import pino, { type Logger } from 'pino';

/** Paths that may hold a card number or a secret anywhere in a logged object. */
export const REDACTED_PATHS = ['pan', '*.pan', 'req.body.pan', 'headers.authorization', 'req.headers.authorization', 'token', '*.token', 'key', '*.key'];

export function createLogger(options: { level?: string; name: string }): Logger {
  return pino({ name: options.name, level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
