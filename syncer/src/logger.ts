import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Nothing the syncer logs should hold a card number: it never logs payloads. These paths are
 * the second line of defence if someone later logs an event or a card row.
 */
export const REDACTED_PATHS = ['pan', '*.pan', 'panForStandin', '*.panForStandin', '*.*.panForStandin', 'payload', '*.payload', 'pan_sealed', '*.pan_sealed'];

export function createLogger(options: { level?: string; name?: string }, destination?: DestinationStream): Logger {
  const settings = { name: options.name ?? 'syncer', level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(settings, destination) : pino(settings);
}
