#!/usr/bin/env node
// `npm start`, `npm test`, `npm run infra`, `npm run simulate`, `npm run bench` and `npm run chaos` land here, possibly on a fresh machine whose own Node is too old
// for the project. This file therefore uses nothing but Node's standard library: it installs
// the dependencies when they are missing or stale (which brings Node 24 as the `node` package),
// builds, and hands over to the stack runner on Node 24.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const binDirectory = path.join(root, 'node_modules', '.bin');
const node24 = path.join(binDirectory, 'node');
const stamp = path.join(root, 'node_modules', '.bank-install-stamp');
const buildStamp = path.join(root, 'node_modules', '.bank-build-stamp');
// kafkajs 2.2.4 (the Kafka client until issue 19) set a timer with a negative delay on Node 22+; such
// a timer fires at once as intended, so the warning is noise from any library that still does it.
const QUIET = '--disable-warning=TimeoutNegativeWarning';
const env = {
  ...process.env,
  // Everything started from here is the local development stack: services may run on public
  // development secrets, and say so at start. Outside this mode they refuse to start without them.
  BANK_MODE: 'local',
  PATH: `${binDirectory}${path.delimiter}${process.env.PATH ?? ''}`,
  NODE_OPTIONS: [process.env.NODE_OPTIONS, QUIET].filter(Boolean).join(' '),
};

function run(command, args, what) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`\n${what} failed (${result.error ? result.error.message : `exit ${result.status}`}); nothing else was started.`);
    process.exit(result.status || 1);
  }
}

function installFingerprint() {
  const hash = crypto.createHash('sha256');
  for (const file of ['package-lock.json']) {
    const full = path.join(root, file);
    if (fs.existsSync(full)) hash.update(fs.readFileSync(full));
  }
  return hash.digest('hex');
}

const fingerprint = installFingerprint();
const installed = fs.existsSync(node24) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === fingerprint;
if (!installed) {
  // `npm install`, not `npm ci`: npm 11 writes only this platform's optional binaries (swc,
  // resolver bindings) into the lock file and `npm ci` then rejects its own lock as incomplete.
  // On a fresh machine this runs on the machine's own (older) Node: npm would warn once per
  // package that wants Node 24 (EBADENGINE), which is exactly what this install brings. Errors
  // still show; warnings are not news here.
  console.log('installing dependencies with npm install (this brings Node 24 as the node@24 package; about 30 s the first time) ...');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], 'installing dependencies');
  fs.writeFileSync(stamp, fingerprint);
}

const version = spawnSync(node24, ['--version'], { encoding: 'utf8' });
if (version.status !== 0 || !/^v24\./.test(version.stdout)) {
  console.error(`expected Node 24 at ${node24} (from the devDependency node@24), got: ${version.stdout || version.error}`);
  process.exit(1);
}

/**
 * What the build reads: every workspace's sources, manifests and TypeScript settings (path, size,
 * modification time), and whether its output is there. Equal fingerprints mean nothing to build.
 */
function buildFingerprint() {
  const hash = crypto.createHash('sha256');
  const visit = (full) => {
    let stat;
    try {
      stat = fs.statSync(full);
    } catch {
      hash.update(`${full}:missing\n`);
      return;
    }
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) visit(path.join(full, name));
    } else {
      hash.update(`${full}:${stat.size}:${stat.mtimeMs}\n`);
    }
  };
  const workspaces = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces;
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.base.json', 'infra/scripts']) visit(path.join(root, file));
  for (const workspace of workspaces) {
    // app/ also builds its pages with Vite, from its own settings, into dist/web.
    for (const file of ['src', 'package.json', 'tsconfig.json', 'tsconfig.web.json', 'vite.config.mjs']) visit(path.join(root, workspace, file));
    hash.update(`${workspace}/dist:${fs.existsSync(path.join(root, workspace, 'dist', '.tsbuildinfo'))}\n`);
    hash.update(`${workspace}/dist/web:${fs.existsSync(path.join(root, workspace, 'dist', 'web', 'index.html'))}\n`);
  }
  return hash.digest('hex');
}

const [mode, ...rest] = process.argv.slice(2);
// `npm run infra -- pause kafka` must land now, not after a build of unchanged sources (2-17 s).
const builtFrom = buildFingerprint();
if (!fs.existsSync(buildStamp) || fs.readFileSync(buildStamp, 'utf8') !== builtFrom) {
  run('npm', ['run', '--silent', 'build'], 'building (npm run build)');
  fs.writeFileSync(buildStamp, builtFrom);
}
if (mode === 'test') run('npm', ['run', '--silent', 'verify'], 'formatting, lint and test type-check (npm run verify)');

// `npm run infra -- <command>` goes to the infra CLI, `npm run simulate` to the load generator
// against the running stack, `npm run bench -- [names]` to the
// benchmarks, `npm run chaos -- [--scenarios a,b] [jest arguments]` to the stack runner's test
// mode with only the chaos suite; start and test to the stack runner.
const entries = {
  infra: () => ['infra/dist/cli.js', ...rest],
  bench: () => ['e2e/dist/bench/run.js', ...rest],
  simulate: () => ['e2e/dist/simulator/simulate.js', ...rest],
  chaos: () => ['infra/dist/stack-cli.js', 'test', '--selectProjects', 'e2e', '--testPathPatterns', 'e2e/test/chaos/', ...chaosJestArguments(rest)],
};

/** Takes `--scenarios a,b` (or `--scenarios=a,b`) out of the arguments into CHAOS_SCENARIOS, which the chaos tests read. */
function chaosJestArguments(args) {
  const jestArguments = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--scenarios') env.CHAOS_SCENARIOS = args[++index] ?? '';
    else if (arg.startsWith('--scenarios=')) env.CHAOS_SCENARIOS = arg.slice('--scenarios='.length);
    else jestArguments.push(arg);
  }
  if (env.CHAOS_SCENARIOS !== undefined) checkScenarioIds(env.CHAOS_SCENARIOS);
  return jestArguments;
}

/**
 * A scenario id that does not exist is a mistake, not a green run of nothing: the ids are the
 * prefixes of the files in e2e/test/chaos/ (`c2-primary-database-hung.test.ts` is c2).
 */
function checkScenarioIds(listed) {
  const known = fs
    .readdirSync(path.join(root, 'e2e', 'test', 'chaos'))
    .map((file) => /^([a-z][0-9]*)-.*\.test\.ts$/.exec(file)?.[1])
    .filter(Boolean);
  const wanted = listed
    .split(',')
    .map((id) => id.trim().toLowerCase())
    .filter(Boolean);
  const unknown = wanted.filter((id) => !known.includes(id));
  if (wanted.length === 0 || unknown.length > 0) {
    console.error(
      `npm run chaos: ${wanted.length === 0 ? 'no scenario named' : `no scenario ${unknown.join(', ')}`}; the scenarios are ${known.sort().join(', ')}`,
    );
    process.exit(2);
  }
}
const entry = entries[mode] ? entries[mode]() : ['infra/dist/stack-cli.js', mode, ...rest];
const child = spawn(node24, [path.join(root, entry[0]), ...entry.slice(1)], { cwd: root, env, stdio: 'inherit' });
// Ctrl-C reaches the whole process group, but `kill <this pid>` (a supervisor, a script) reaches
// only this process: hand every stop signal on, and exit when the runner has shut everything down
// (the runner takes a repeated signal as the same request).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}
child.once('error', (error) => {
  console.error(`could not run ${entry[0]}: ${error.message}`);
  process.exit(1);
});
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] ?? 0) : 1)));
