import { authorisationMessages, type AuthorisationMessages } from './authorisation-messages';
import { runClosedLoop, runOpenLoop } from './load-phases';
import type { FromLoadWorker, LoadPhase, PhaseResult, ToLoadWorker } from './load-protocol';
import { schemeHttpClient, type SchemeHttpClient } from './scheme-http-client';

// The load-generator process, forked by the benchmark runner: it is configured once, then runs
// one phase per request and answers with that phase's figures.

let client: SchemeHttpClient | undefined;
let messages: AuthorisationMessages | undefined;

function reply(message: FromLoadWorker): void {
  process.send?.(message);
}

function runPhase(phase: LoadPhase): Promise<PhaseResult> {
  if (!client || !messages) throw new Error('load worker asked to run a phase before it was configured');
  return phase.kind === 'closed-loop' ? runClosedLoop(phase, client, messages) : runOpenLoop(phase, client, messages);
}

async function handle(message: ToLoadWorker): Promise<void> {
  switch (message.type) {
    case 'configure':
      client?.close();
      client = schemeHttpClient({
        baseUrl: message.target.baseUrl,
        maxSockets: message.target.maxSockets,
        requestTimeoutMs: message.target.requestTimeoutMs,
        presentAs: message.target.presentAs ?? 'gateway',
      });
      messages = authorisationMessages(message.target.runTag, message.target.cards);
      reply({ type: 'ready' });
      return;
    case 'run':
      reply({ type: 'phase-done', result: await runPhase(message.phase) });
      return;
    case 'exit':
      client?.close();
      process.disconnect();
      return;
  }
}

if (!process.send) {
  console.error('load-worker is started by the benchmark runner (child_process.fork), not on its own');
  process.exit(2);
}
process.on('message', (message: ToLoadWorker) => {
  handle(message).catch((error: unknown) => reply({ type: 'failed', message: (error as Error).message }));
});
// The runner going away (crash, Ctrl-C) must not leave a load generator behind.
process.on('disconnect', () => process.exit(0));
