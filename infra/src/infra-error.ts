/** Stable codes, so scripts and the chaos suite can tell one failure from another. */
export type InfraErrorCode = 'INFRA_MISSING_BINARY' | 'INFRA_PORT_IN_USE' | 'INFRA_START_FAILED' | 'INFRA_NOT_RUNNING' | 'INFRA_PREPARE_FAILED' | 'INFRA_USAGE';

/** A failure that says which component, why, and where its log is. */
export class InfraError extends Error {
  constructor(
    readonly code: InfraErrorCode,
    readonly component: string,
    why: string,
    readonly logFile?: string,
  ) {
    super(`${component}: ${why}${logFile ? `\n  log: ${logFile}` : ''}`);
    this.name = 'InfraError';
  }
}
