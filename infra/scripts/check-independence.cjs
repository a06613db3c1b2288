#!/usr/bin/env node
// Fails the build when primary/ and standin/ reach into each other. The design rests on the two
// platforms being written independently: the only code they share is shared-contracts/.
// (Plain JavaScript so it runs before anything is compiled.)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PLATFORMS = ['primary', 'standin'];
/** Workspaces a platform's sources may import; its tests may also use infra's test harness. */
const ALLOWED_IN_SOURCES = new Set(['shared-contracts']);
const ALLOWED_IN_TESTS = new Set(['shared-contracts', 'infra']);
const SOURCE_FILE = /\.(c|m)?(t|j)sx?$/;
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

function* sourceFiles(directory) {
  if (!fs.existsSync(directory)) return;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (SOURCE_FILE.test(entry.name)) yield full;
  }
}

/** Which workspace (top-level folder) an import specifier points into, if any. */
function targetWorkspace(root, file, specifier) {
  const scoped = /^@bank\/([^/]+)/.exec(specifier);
  if (scoped) return scoped[1];
  if (!specifier.startsWith('.')) return undefined;
  const relative = path.relative(root, path.resolve(path.dirname(file), specifier));
  if (relative.startsWith('..')) return '(outside the repository)';
  return relative.split(path.sep)[0];
}

/** Every import in primary/ or standin/ that crosses into another workspace it may not use. */
function findIndependenceViolations(root) {
  const violations = [];
  for (const platform of PLATFORMS) {
    const platformRoot = path.join(root, platform);
    for (const file of sourceFiles(platformRoot)) {
      const inTests = path.relative(platformRoot, file).split(path.sep)[0] === 'test';
      const allowed = inTests ? ALLOWED_IN_TESTS : ALLOWED_IN_SOURCES;
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[2];
        const target = targetWorkspace(root, file, specifier);
        if (target === undefined || target === platform || allowed.has(target)) continue;
        const line = text.slice(0, match.index).split('\n').length;
        violations.push({ file: path.relative(root, file), line, specifier, target });
      }
    }
    const manifest = path.join(platformRoot, 'package.json');
    if (fs.existsSync(manifest)) {
      const { dependencies = {}, devDependencies = {} } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      for (const name of Object.keys({ ...dependencies, ...devDependencies })) {
        const scoped = /^@bank\/(.+)$/.exec(name);
        if (scoped && !ALLOWED_IN_TESTS.has(scoped[1])) violations.push({ file: path.relative(root, manifest), line: 0, specifier: name, target: scoped[1] });
      }
    }
  }
  return violations;
}

module.exports = { findIndependenceViolations };

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  const violations = findIndependenceViolations(root);
  if (violations.length > 0) {
    console.error('independence check FAILED: primary/ and standin/ may share only shared-contracts/.');
    for (const v of violations) console.error(`  ${v.file}${v.line ? `:${v.line}` : ''} imports "${v.specifier}" (${v.target})`);
    process.exit(1);
  }
}
