import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_NAMES, SERVICE_SPECS } from '../src/services.js';

// The container image definition cannot be built on this machine (no Docker engine, and base images
// cannot be pulled), so its properties are checked here instead: stages, base, user, what each
// target runs and that it is in the build output it copies, and that nothing secret is inside.

const ROOT = path.resolve(__dirname, '..', '..');

interface Instruction {
  readonly keyword: string;
  readonly argument: string;
}
interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

/** The Dockerfile's instructions by stage (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const args: Record<string, string> = {};
  const stages: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, keyword = '', argument = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, from = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(argument) ?? [];
      stages.push({ name, from, instructions: [] });
    } else if (stages.length === 0 && upper === 'ARG') {
      const [name = '', value = ''] = argument.split('=');
      args[name] = value;
    } else stages.at(-1)?.instructions.push({ keyword: upper, argument });
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const stage = (name: string) => {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`the Dockerfile has no stage ${name}`);
  return found;
};
const runs = (name: string) =>
  stage(name)
    .instructions.filter((instruction) => instruction.keyword === 'RUN')
    .map((instruction) => instruction.argument);
const copiesFromBuild = stage('runtime')
  .instructions.filter((instruction) => instruction.keyword === 'COPY')
  .map((instruction) => /^--from=build\s+(\S+)\s+(\S+)$/.exec(instruction.argument)?.[1]);

/** The JavaScript file a target runs: `node <file>` in exec form. */
function entryOf(target: string): string {
  const command = stage(target).instructions.find((instruction) => instruction.keyword === 'CMD' || instruction.keyword === 'ENTRYPOINT');
  const parsed = JSON.parse(command?.argument ?? 'null') as string[] | null;
  expect(parsed?.[0]).toBe('node');
  return parsed![1]!;
}

/** A build-output path (`<workspace>/dist/<file>.js`) exists when its TypeScript source does and the runtime image copies the workspace's dist. */
function expectBuiltAndCopied(output: string): void {
  const [, workspace = '', file = ''] = /^([a-z-]+)\/dist\/(.+)\.js$/.exec(output) ?? [];
  expect({ output, source: fs.existsSync(path.join(ROOT, workspace, 'src', `${file}.ts`)) }).toEqual({ output, source: true });
  const tsconfig = fs.readFileSync(path.join(ROOT, workspace, 'tsconfig.json'), 'utf8');
  expect(tsconfig).toContain('"rootDir": "src"');
  expect(tsconfig).toContain('"outDir": "dist"');
  expect(copiesFromBuild).toContain(`/app/${workspace}/dist`);
  // And the workspaces it depends on at run time, with their build output too.
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, workspace, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const dependency of Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@bank/')))
    expect(copiesFromBuild).toContain(`/app/${dependency.replace('@bank/', '')}/dist`);
}

describe('the Dockerfile', () => {
  test('is multi-stage on Node 24: a build stage, a runtime stage, and a target per service and for the standin command', () => {
    expect(dockerfile.args.NODE_IMAGE).toMatch(/^node:24[-.]/);
    expect(stage('build').from).toBe('${NODE_IMAGE}');
    expect(stage('runtime').from).toBe('${NODE_IMAGE}');
    const targets = dockerfile.stages.filter((candidate) => candidate.from === 'runtime').map((candidate) => candidate.name);
    // Beside the deployed services: the CLI, and the app server (its image is built; these manifests do not deploy it yet).
    expect(targets.sort()).toEqual([...SERVICE_NAMES.map((name) => SERVICE_SPECS[name].imageTarget), 'standin-cli', 'app'].sort());
  });

  test('builds with npm ci and tsc -b, and the runtime has production dependencies only and no sources', () => {
    expect(runs('build').join(' ')).toMatch(/npm ci\b/);
    expect(runs('build').join(' ')).toMatch(/tsc -b\b/);
    expect(runs('runtime').join(' ')).toMatch(/npm ci --omit=dev\b/);
    // The runtime copies from the build stage only (package manifests, the standin launcher, build output): never the context.
    for (const instruction of stage('runtime').instructions.filter((candidate) => candidate.keyword === 'COPY'))
      expect(instruction.argument).toMatch(/^--from=build \/app\/(package(-lock)?\.json|[a-z0-9-]+\/(package\.json|dist|bin))( \/app\/package-lock\.json)? /);
  });

  test('npm ci finds every workspace: each one in the root package.json has its package.json copied in both stages', () => {
    const { workspaces } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    for (const workspace of workspaces) {
      expect(stage('build').instructions.map((instruction) => instruction.argument)).toContain(`${workspace}/package.json ${workspace}/`);
      expect(copiesFromBuild).toContain(`/app/${workspace}/package.json`);
    }
  });

  test('runs as a numeric user that is not root, in every target, with no HEALTHCHECK (Kubernetes probes instead)', () => {
    const user = stage('runtime').instructions.find((instruction) => instruction.keyword === 'USER');
    const [uid] = (user?.argument ?? '').split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    for (const candidate of dockerfile.stages.filter((each) => each.from === 'runtime')) {
      expect(candidate.instructions.some((instruction) => instruction.keyword === 'USER')).toBe(false);
    }
    expect(dockerfile.stages.flatMap((each) => each.instructions).some((instruction) => instruction.keyword === 'HEALTHCHECK')).toBe(false);
  });

  test.each([...SERVICE_NAMES, 'standin-cli'])('target %s runs a file of the build output the runtime image copies', (target) => {
    expectBuiltAndCopied(entryOf(target === 'standin-cli' ? 'standin-cli' : SERVICE_SPECS[target as (typeof SERVICE_NAMES)[number]].imageTarget));
  });

  test("the manifests' migration commands run files of the image too", () => {
    for (const spec of Object.values(SERVICE_SPECS)) if (spec.migration) expectBuiltAndCopied(spec.migration.command[1]!);
  });

  test('holds no secret and no local mode: no credential-like setting, no key material, no BANK_MODE', () => {
    const instructions = dockerfile.stages.flatMap((each) => each.instructions);
    const settings = instructions
      .filter((instruction) => instruction.keyword === 'ENV' || instruction.keyword === 'ARG')
      .map((instruction) => instruction.argument);
    for (const setting of [...settings, ...Object.keys(dockerfile.args)])
      expect(setting).not.toMatch(/TOKEN|KEY|SECRET|PASSWORD|CREDENTIAL|DATABASE_URL|REDIS_URL/i);
    const text = instructions.map((instruction) => `${instruction.keyword} ${instruction.argument}`).join('\n');
    expect(text).not.toMatch(/BANK_MODE/);
    expect(text).not.toMatch(/local-[a-z-]+-token|-----BEGIN|[A-Za-z0-9+/]{43}=/);
  });

  test('.dockerignore keeps local data, dependencies, build output and anything secret out of the build context', () => {
    const ignored = fs
      .readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    for (const entry of ['.git', '**/node_modules', '**/dist', '.data', '.helper-env.sh', '.env', '**/*.pem']) expect(ignored).toContain(entry);
  });
});
