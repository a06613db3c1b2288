import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The gateway never logs a message body, only its identifying fields (STAN, RRN, terminal). These
 * paths are the second line of defence if someone later logs a body or a header.
 */
export const REDACTED_PATHS = ['pan', '*.pan', 'body', '*.body', 'headers.authorization', '*.headers.authorization', 'token', '*.token'];

export function createLogger(options: { level?: string }, destination?: DestinationStream): Logger {
  const settings = { name: 'gateway', level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(settings, destination) : pino(settings);
}
