import { runCli } from './standin-cli';

// The `standin` bin (standin/bin/standin.cjs loads this after a build).
runCli(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (failure: unknown) => {
    process.stderr.write(`standin: ${(failure as Error).message}\n`);
    process.exitCode = 1;
  },
);
