import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError, KAFKA_SECURITY_VARIABLES, kafkaSecurity, readServiceEnvironment } from '../src';

function securityFrom(env: NodeJS.ProcessEnv, local = false) {
  const read = readServiceEnvironment(
    { service: 'test', variables: KAFKA_SECURITY_VARIABLES, secrets: {} },
    { ...env, ...(local ? { BANK_MODE: 'local' } : {}) },
  );
  return kafkaSecurity('test', read.values, local);
}

test('when nothing is set, then the client gets no TLS and no SASL (a local plaintext broker)', () => {
  expect(securityFrom({})).toEqual({});
});

test('when TLS and SCRAM are set, then the client gets both, the password read from its file', () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-security-'));
  fs.writeFileSync(path.join(directory, 'password'), 's3cret\n');
  fs.writeFileSync(path.join(directory, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  expect(
    securityFrom({
      KAFKA_TLS: 'on',
      KAFKA_TLS_CA_FILE: path.join(directory, 'ca.pem'),
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'bank-syncer',
      KAFKA_SASL_PASSWORD_FILE: path.join(directory, 'password'),
    }),
  ).toEqual({
    tls: { ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'bank-syncer', password: 's3cret' },
  });
});

test('when SASL credentials would cross without TLS outside local mode, then the start is refused, naming why', () => {
  expect(() => securityFrom({ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(
    /KAFKA_TLS is not on: the credentials would cross the network in the clear/,
  );
  // Local mode (a developer's SASL_PLAINTEXT broker) may.
  expect(securityFrom({ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, true)).toEqual({
    sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' },
  });
});

test('when the settings are incomplete or contradictory, then every problem is named and no value is quoted', () => {
  let error: unknown;
  try {
    securityFrom({ KAFKA_TLS: 'on', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_PASSWORD: 'do-not-print-me' });
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as ConfigurationError).problems).toEqual(['KAFKA_SASL_MECHANISM=SCRAM-SHA-256 needs KAFKA_SASL_USERNAME']);
  expect(String(error)).not.toContain('do-not-print-me');
  expect(() => securityFrom({ KAFKA_SASL_USERNAME: 'u' })).toThrow(/without KAFKA_SASL_MECHANISM/);
  expect(() => securityFrom({ KAFKA_TLS_CA_FILE: '/nowhere/ca.pem' })).toThrow(/KAFKA_TLS is not on/);
  expect(() => securityFrom({ KAFKA_SASL_MECHANISM: 'GSSAPI' })).toThrow(/KAFKA_SASL_MECHANISM is not usable/);
});
