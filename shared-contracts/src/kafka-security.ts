import fs from 'node:fs';
import { z } from 'zod';
import { ConfigurationError } from './environment';

// How the Kafka clients (primary's outbox relay and notifications, the syncer) reach a cluster that
// is not a local plaintext broker: managed Kafka services (Confluent Cloud, Amazon MSK, Aiven, ...)
// take TLS and SASL (PLAIN or SCRAM) credentials. Declared once because both platforms' clients
// reach the same cluster the same way; each service spreads these variables into its own and
// passes the result to its client.

export const KAFKA_SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** The variables, read with the service's others (so `<NAME>_FILE` works for the password too). */
export const KAFKA_SECURITY_VARIABLES = {
  /** `on`: TLS to every broker, checked against the system's CAs (or KAFKA_TLS_CA_FILE's). */
  KAFKA_TLS: z.enum(['on', 'off']).default('off'),
  /** A PEM bundle of the CAs that sign the brokers' certificates, when not a public CA's. */
  KAFKA_TLS_CA_FILE: z.string().optional(),
  KAFKA_SASL_MECHANISM: z.enum(KAFKA_SASL_MECHANISMS).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
};

type SecurityValues = z.output<z.ZodObject<typeof KAFKA_SECURITY_VARIABLES>>;

/** What the Kafka client's connection options take: none of it when the cluster is a local plaintext broker. */
export interface KafkaSecurity {
  readonly tls?: { readonly ca?: string };
  readonly sasl?: { readonly mechanism: (typeof KAFKA_SASL_MECHANISMS)[number]; readonly username: string; readonly password: string };
}

/**
 * Checks the settings together and returns the client's options. SASL credentials without TLS are
 * refused outside local mode: PLAIN sends the password as it is, and SCRAM's exchange is open to
 * anyone on the path to replay against a weaker server.
 */
export function kafkaSecurity(service: string, values: SecurityValues, local: boolean): KafkaSecurity {
  const problems: string[] = [];
  const tls = values.KAFKA_TLS === 'on';
  if (values.KAFKA_TLS_CA_FILE !== undefined && !tls) problems.push('KAFKA_TLS_CA_FILE is set but KAFKA_TLS is not on');
  let ca: string | undefined;
  if (values.KAFKA_TLS_CA_FILE !== undefined) {
    try {
      ca = fs.readFileSync(values.KAFKA_TLS_CA_FILE, 'utf8');
    } catch (error) {
      problems.push(`KAFKA_TLS_CA_FILE=${values.KAFKA_TLS_CA_FILE} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const mechanism = values.KAFKA_SASL_MECHANISM;
  const { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = values;
  if (mechanism === undefined && (username !== undefined || password !== undefined))
    problems.push(`KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set without KAFKA_SASL_MECHANISM (${KAFKA_SASL_MECHANISMS.join(', ')})`);
  if (mechanism !== undefined && username === undefined) problems.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME`);
  if (mechanism !== undefined && password === undefined)
    problems.push(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)`);
  if (mechanism !== undefined && !tls && !local)
    problems.push('KAFKA_SASL_MECHANISM is set but KAFKA_TLS is not on: the credentials would cross the network in the clear');
  if (problems.length > 0) throw new ConfigurationError(service, problems);
  return {
    ...(tls ? { tls: ca === undefined ? {} : { ca } } : {}),
    ...(mechanism !== undefined && username !== undefined && password !== undefined ? { sasl: { mechanism, username, password } } : {}),
  };
}
