import fs from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';

/** Writes a benchmark's JSON to results/bench/<name>.json (git-ignored) and returns the path. */
export function writeBenchResult(name: string, result: unknown): string {
  const file = path.join(REPOSITORY_ROOT, 'results', 'bench', `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
