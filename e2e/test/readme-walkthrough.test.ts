import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from '@bank/infra';
import { gatewayService } from '../src/stack/gateway-service';
import { startService, type ServiceProcess } from '../src/stack/service-process';
import { OPERATOR } from '../src/stack/services';
import { startStack, type Stack } from './support/stack';

// Issue 14: the README's "Try it in five minutes" block, exactly as a newcomer pastes it, against a
// stack of the test's own (with a gateway); every answer its comments promise must come, in order.
// A changed route, message or CLI command breaks this test before it breaks a newcomer's first hour.

const MARKER = '<!-- try-it-in-five-minutes';

/** The shell block after the marker, verbatim. */
function walkthroughBlock(readme: string): string {
  const start = readme.indexOf(MARKER);
  if (start < 0) throw new Error(`README.md has no ${MARKER} marker`);
  const fenced = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(start));
  if (!fenced?.[1]) throw new Error('no ```sh block after the walkthrough marker');
  return fenced[1];
}

/** What the block's comments promise, in order: `# {...}` after a command, or `# primary: ...`. */
function promisedAnswers(block: string): string[] {
  return block
    .split('\n')
    .map((line) => /#\s+(\{.*\}|primary: .*)$/.exec(line)?.[1]?.trim())
    .filter((answer): answer is string => answer !== undefined);
}

let stack: Stack;
let gateway: ServiceProcess;
beforeAll(async () => {
  stack = await startStack();
  gateway = await startService(gatewayService(stack.infra.config, stack.run, stack.urls, { env: { GATEWAY_CONFIG_POLL_MS: '250' } }));
}, 180_000);
afterAll(async () => {
  await gateway?.stop();
  await stack?.stop();
});

test('the README walkthrough runs as written and every answer its comments promise comes, in order', async () => {
  const block = walkthroughBlock(fs.readFileSync(path.join(REPOSITORY_ROOT, 'README.md'), 'utf8'));
  const promised = promisedAnswers(block);
  expect(promised.length).toBeGreaterThanOrEqual(6);
  const port = (url: string) => new URL(url).port;
  const child = spawn('bash', ['-eo', 'pipefail', '-c', block], {
    cwd: REPOSITORY_ROOT,
    env: {
      ...process.env,
      PATH: `${path.join(REPOSITORY_ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
      PRIMARY_PORT: port(stack.urls.primary),
      STANDIN_PORT: port(stack.urls.standin),
      GATEWAY_PORT: port(gateway.url),
      STANDIN_OPERATOR_TOKEN: OPERATOR.token,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect({ code, stderr: stderr.slice(-2_000) }).toEqual({ code: 0, stderr: expect.any(String) });

  const lines = stdout.split('\n').map((line) => line.trim());
  let from = 0;
  for (const answer of promised) {
    const at = lines.indexOf(answer, from);
    if (at < 0) throw new Error(`the walkthrough promised ${answer} (after line ${from}), but printed:\n${stdout}`);
    from = at + 1;
  }
}, 180_000);
