import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

/** kafkajs's own log lines, through pino, at warn and above (its info level narrates every rejoin). */
export function createKafka(options: { brokers: readonly string[]; clientId: string; logger: Logger }): Kafka {
  const kafkaLogger = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log, namespace }: LogEntry) => {
        // pino stamps its own time; kafkajs's would only repeat it.
        const { message, ...fields } = log;
        const line = { namespace, ...fields, timestamp: undefined };
        if (level === logLevel.ERROR) kafkaLogger.error(line, message);
        else if (level === logLevel.WARN) kafkaLogger.warn(line, message);
        else kafkaLogger.debug(line, message);
      },
  });
}
