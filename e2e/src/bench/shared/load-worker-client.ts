import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FromLoadWorker, LoadPhase, LoadTarget, PhaseResult, ToLoadWorker } from './load-protocol';

/** The runner's handle on the forked load generator: one request (configure, run a phase) at a time. */
export interface LoadWorker {
  readonly pid: number | undefined;
  configure(target: LoadTarget): Promise<void>;
  run(phase: LoadPhase): Promise<PhaseResult>;
  stop(): Promise<void>;
}

export function forkLoadWorker(): LoadWorker {
  const child: ChildProcess = fork(path.join(__dirname, 'load-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  function ask<T extends FromLoadWorker['type']>(message: ToLoadWorker, expected: T): Promise<Extract<FromLoadWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (answer: FromLoadWorker) => {
        cleanUp();
        if (answer.type === 'failed') reject(new Error(`load worker: ${answer.message}`));
        else if (answer.type !== expected) reject(new Error(`load worker answered ${answer.type}, expected ${expected}`));
        else resolve(answer as Extract<FromLoadWorker, { type: T }>);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanUp();
        reject(new Error(`load worker exited (${signal ?? `code ${code}`}) while asked to ${message.type}`));
      };
      const cleanUp = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(message);
    });
  }

  return {
    pid: child.pid,
    async configure(target) {
      await ask({ type: 'configure', target }, 'ready');
    },
    async run(phase) {
      return (await ask({ type: 'run', phase }, 'phase-done')).result;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ type: 'exit' } satisfies ToLoadWorker);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
