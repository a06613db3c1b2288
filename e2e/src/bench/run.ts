import { BENCHMARKS } from './benchmarks';

// `npm run bench -- [names...]`: runs the named benchmarks (all of them when none is named), one
// after another. A missed target is reported, not an error: the exit code says whether each ran.

async function main(argv: readonly string[]): Promise<number> {
  const known = Object.keys(BENCHMARKS);
  const names = argv.length > 0 ? argv : known;
  const unknown = names.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(`unknown benchmark${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const name of names) {
    try {
      await BENCHMARKS[name]?.();
    } catch (error) {
      failed++;
      console.error(`benchmark ${name} failed: ${(error as Error).message}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error((error as Error).stack ?? String(error));
    process.exit(1);
  },
);
