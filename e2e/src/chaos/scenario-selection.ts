// Which scenarios a chaos run includes: CHAOS_SCENARIOS=a,c (what `npm run chaos -- --scenarios a,c`
// sets); all of them when it is unset or empty. A scenario left out is skipped, not failed.

export function selectedScenarios(env: NodeJS.ProcessEnv = process.env): ReadonlySet<string> | 'all' {
  const listed = (env.CHAOS_SCENARIOS ?? '')
    .split(',')
    .map((id) => id.trim().toLowerCase())
    .filter(Boolean);
  return listed.length === 0 ? 'all' : new Set(listed);
}

export function isScenarioSelected(id: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const selected = selectedScenarios(env);
  return selected === 'all' || selected.has(id.toLowerCase());
}

/** The seed to replay (CHAOS_SEED), if one was given. */
export function seedFromEnvironment(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.CHAOS_SEED;
  if (raw === undefined || raw === '') return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`CHAOS_SEED=${raw}: expected a whole number from the report of the run to replay`);
  return seed;
}
