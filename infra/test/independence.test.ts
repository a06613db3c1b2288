import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPOSITORY_ROOT } from '../src/config';

interface Violation {
  file: string;
  line: number;
  specifier: string;
  target: string;
}
// The check is plain JavaScript so the build can run it before compiling anything.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findIndependenceViolations } = require('../scripts/check-independence.cjs') as { findIndependenceViolations: (root: string) => Violation[] };

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'independence-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('independence check', () => {
  test('when stand-in and primary import each other, then every crossing is reported with its place', () => {
    const root = tree({
      'primary/src/ledger.ts': "import { decide } from '../../standin/src/decide';\nexport const x = decide;\n",
      'primary/src/cards.ts': "const standin = require('@bank/standin/dist/cards');\n",
      'standin/src/authorise.ts': "import type { Balance } from '@bank/primary';\nexport async function f() { return import('@bank/primary/src/ledger'); }\n",
      'standin/package.json': JSON.stringify({ name: '@bank/standin', dependencies: { '@bank/primary': '0.1.0' } }),
    });
    const violations = findIndependenceViolations(root);
    expect(violations.map((v) => `${v.file}:${v.line} ${v.target}`).sort()).toEqual([
      'primary/src/cards.ts:1 standin',
      'primary/src/ledger.ts:1 standin',
      'standin/package.json:0 primary',
      'standin/src/authorise.ts:1 primary',
      'standin/src/authorise.ts:2 primary',
    ]);
  });

  test('when a platform imports shared-contracts, or its tests use the infra harness, then nothing is reported', () => {
    const root = tree({
      'standin/src/authorise.ts': "import { CardAuthorisationRequest } from '@bank/shared-contracts';\nimport { x } from './limits';\n",
      'standin/test/authorise.test.ts': "import { infraEndpoints } from '@bank/infra';\n",
      'primary/src/app.ts': "import Fastify from 'fastify';\n",
    });
    expect(findIndependenceViolations(root)).toEqual([]);
  });

  test('when platform sources (not tests) import another workspace, then it is reported', () => {
    const root = tree({ 'standin/src/db.ts': "import { infraEndpoints } from '@bank/infra';\n" });
    expect(findIndependenceViolations(root)).toEqual([{ file: 'standin/src/db.ts', line: 1, specifier: '@bank/infra', target: 'infra' }]);
  });

  test('this repository passes', () => {
    expect(findIndependenceViolations(REPOSITORY_ROOT)).toEqual([]);
  });
});
