import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { base64Key, ConfigurationError, describeEnvironment, developmentKey, readServiceEnvironment } from '../src';

const spec = {
  service: 'example',
  variables: { EXAMPLE_KEY: base64Key, EXAMPLE_TOKEN: z.string(), EXAMPLE_PORT: z.coerce.number().default(8000) },
  secrets: { EXAMPLE_KEY: developmentKey('EXAMPLE_KEY'), EXAMPLE_TOKEN: 'local-example-token' },
};

test('when outside local mode the secrets are missing, then one ConfigurationError names each of them and nothing is derived', () => {
  let thrown: unknown;
  try {
    readServiceEnvironment(spec, {});
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigurationError);
  expect((thrown as ConfigurationError).code).toBe('CONFIGURATION_INVALID');
  expect((thrown as Error).message).toContain('EXAMPLE_KEY is a required secret and is not set');
  expect((thrown as Error).message).toContain('EXAMPLE_TOKEN is a required secret and is not set');
});

test('when in local mode, then the development secrets are used and listed, with the settings that took defaults, and the start line is a loud warning', () => {
  const read = readServiceEnvironment(spec, { BANK_MODE: 'local' });
  expect(read.values.EXAMPLE_TOKEN).toBe('local-example-token');
  expect(read.values.EXAMPLE_KEY).toHaveLength(32);
  expect(read.developmentSecrets).toEqual(['EXAMPLE_KEY', 'EXAMPLE_TOKEN']);
  expect(read.defaulted).toEqual(['EXAMPLE_PORT']);
  const line = describeEnvironment(read);
  expect(line.level).toBe('warn');
  expect(line.message).toMatch(/DEVELOPMENT SECRETS/);
});

test('when a secret is given in a file (<NAME>_FILE), then it is read from there; a bad value is named without being quoted', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'environment-')), 'token');
  fs.writeFileSync(file, 'file-token\n', { mode: 0o600 });
  const read = readServiceEnvironment(spec, { EXAMPLE_KEY: Buffer.alloc(32, 1).toString('base64'), EXAMPLE_TOKEN_FILE: file });
  expect(read.values.EXAMPLE_TOKEN).toBe('file-token');
  expect(describeEnvironment(read).level).toBe('info');
  const short = 'c2hvcnQta2V5';
  expect(() => readServiceEnvironment(spec, { EXAMPLE_KEY: short, EXAMPLE_TOKEN: 't' })).toThrow(/EXAMPLE_KEY is not usable: must be 32 bytes/);
  expect(() => readServiceEnvironment(spec, { EXAMPLE_KEY: short, EXAMPLE_TOKEN: 't' })).not.toThrow(short);
});

test('when BANK_MODE is neither local nor production, then the start is refused rather than guessing', () => {
  expect(() => readServiceEnvironment(spec, { BANK_MODE: 'loacl' })).toThrow(/BANK_MODE=loacl is not a mode/);
});
