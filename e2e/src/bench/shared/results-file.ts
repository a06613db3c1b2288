import fs from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';

/** Where a benchmark's JSON goes: results/bench/<name>.json (git-ignored). */
export function benchResultFile(name: string): string {
  return path.join(REPOSITORY_ROOT, 'results', 'bench', `${name}.json`);
}

/** Writes a benchmark's JSON to results/bench/<name>.json and returns the path. */
export function writeBenchResult(name: string, result: unknown): string {
  const file = benchResultFile(name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
