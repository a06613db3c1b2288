import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDevelopmentKeys } from '../src';

// Found measuring a cold `npm start` (issue 14): the keys were made first on a fresh clone, and
// their private folder's mode went to the data directory too, so PostgreSQL (its own user) could
// not reach its cluster folder and initdb failed.

test('when the keys are made in a data directory that does not exist yet, then only their own folder is private', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'bank-keys-'));
  try {
    const dataDir = path.join(parent, 'fresh', '.data');
    const keys = ensureDevelopmentKeys(dataDir);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o777 & ~process.umask());
    expect(fs.statSync(path.dirname(keys.standinPanPrivateKeyFile)).mode & 0o077).toBe(0);
    expect(fs.statSync(keys.standinPanPrivateKeyFile).mode & 0o077).toBe(0);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});
