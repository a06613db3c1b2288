#!/usr/bin/env node
// The `standin` command (npx standin ...). Plain JavaScript so npm can link it before the build;
// the CLI itself is TypeScript, built into dist/ by `npm start`, `npm test` or `npm run build`.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('standin: the CLI is not built yet; run `npm run build` (or `npm start`) at the repository root first\n');
  process.exit(1);
}
require(entry);
