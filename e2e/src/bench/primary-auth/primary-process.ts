import type { InfraConfig } from '@bank/infra';
import { runMigration, startService } from '../../stack/service-process';
import { primaryService } from '../../stack/services';

// Primary as the benchmark's own child process, on a free port, so a primary that someone else
// is running (npm start) is neither measured nor disturbed.

export interface RunningPrimary {
  readonly baseUrl: string;
  readonly pid: number | undefined;
  readonly logFile: string;
  stop(): Promise<void>;
}

export function migratePrimary(config: InfraConfig): void {
  runMigration(primaryService(config, 'bench'));
}

export async function startPrimary(config: InfraConfig, options: { logFile: string; healthTimeoutMs?: number }): Promise<RunningPrimary> {
  const service = await startService(
    { ...primaryService(config, 'bench'), migrate: undefined, logFile: options.logFile },
    options.healthTimeoutMs === undefined ? {} : { healthTimeoutMs: options.healthTimeoutMs },
  );
  return { baseUrl: service.url, pid: service.pid(), logFile: options.logFile, stop: () => service.stop() };
}
