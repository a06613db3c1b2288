import { randomBytes } from 'node:crypto';
import { createInfra, type Infra } from '@bank/infra';
import { startService, type ServiceProcess } from '../../src/stack/service-process';
import { adviceConsumerService, primaryService, reservePlatformPorts, standinService, syncerService } from '../../src/stack/services';

/** The whole system as child processes of the test: infra, primary, syncer, stand-in, advice consumer. */
export interface Stack {
  readonly infra: Infra;
  readonly primary: ServiceProcess;
  readonly syncer: ServiceProcess;
  readonly standin: ServiceProcess;
  readonly adviceConsumer: ServiceProcess;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const infra = createInfra();
  await infra.up();
  const run = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
  // Each platform's configuration service reads the other's, so both ports are known up front.
  const { urls, ...ports } = await reservePlatformPorts();
  const primary = await startService(primaryService(infra.config, run, urls), { port: ports.primary });
  const standin = await startService(standinService(infra.config, run, urls), { port: ports.standin });
  const syncer = await startService(syncerService(infra.config, run));
  const adviceConsumer = await startService(adviceConsumerService(infra.config, run, urls));
  return {
    infra,
    primary,
    syncer,
    standin,
    adviceConsumer,
    async stop() {
      for (const service of [adviceConsumer, syncer, standin, primary]) await service.stop();
    },
  };
}

/** Polls `probe` until it returns a value `done` accepts, or fails with the last value seen. */
export async function eventually<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s; last seen: ${JSON.stringify(last)?.slice(0, 1_500)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function http<T = Record<string, unknown>>(method: string, url: string, options: { token?: string; body?: unknown; idempotencyKey?: string } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }), signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
