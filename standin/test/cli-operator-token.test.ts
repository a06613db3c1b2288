import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCAL_OPERATOR_TOKEN, operatorToken } from '../src/cli/operator-token';

// Where the standin CLI takes the operator's token from: the environment or a file only its owner
// can read; the command line works but warns (others see it in the process list and the history).

const tokenFile = (mode: number, content = 'file-operator-token\n') => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'operator-token-')), 'token');
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
  return file;
};

test('when the token is passed with --token, then it is used and a warning says why that is unsafe', () => {
  const warnings: string[] = [];
  expect(operatorToken('typed-token', {}, (text) => warnings.push(text))).toBe('typed-token');
  expect(warnings).toEqual([expect.stringContaining('process list')]);
});

test('when it is in STANDIN_OPERATOR_TOKEN or in a file only its owner reads, then it is used without a warning', () => {
  const warnings: string[] = [];
  expect(operatorToken(undefined, { STANDIN_OPERATOR_TOKEN: 'env-token' }, (text) => warnings.push(text))).toBe('env-token');
  expect(operatorToken(undefined, { STANDIN_OPERATOR_TOKEN_FILE: tokenFile(0o600) }, (text) => warnings.push(text))).toBe('file-operator-token');
  expect(warnings).toEqual([]);
});

test('when the token file may be read by others or is empty, then the CLI refuses it (exit 2) without reading it out', () => {
  for (const file of [tokenFile(0o644), tokenFile(0o640), tokenFile(0o600, '  \n')]) {
    let thrown: unknown;
    try {
      operatorToken(undefined, { STANDIN_OPERATOR_TOKEN_FILE: file }, () => undefined);
    } catch (failure) {
      thrown = failure;
    }
    expect(thrown).toMatchObject({ code: 'OPERATOR_TOKEN_FILE', exitCode: 2 });
    expect((thrown as Error).message).not.toContain('file-operator-token');
  }
});

test('when no token is given, then only local mode falls back to the local operator; elsewhere the CLI refuses', () => {
  expect(operatorToken(undefined, { BANK_MODE: 'local' }, () => undefined)).toBe(LOCAL_OPERATOR_TOKEN);
  expect(() => operatorToken(undefined, {}, () => undefined)).toThrow(/no operator token/);
});
