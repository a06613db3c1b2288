import { CONFIGURATION_ERROR_CODES, type ConfigurationDocument, type ContractIssue } from '@bank/shared-contracts';
import { PrimaryError } from '../platform/errors';

// The configuration API's errors carry the codes shared-contracts defines, so the standin CLI
// tells a stale write from a bad one the same way on both platforms.

/** Who made a version and why, for messages that tell an operator what they are up against. */
export const describeVersion = (document: ConfigurationDocument) =>
  `version ${document.version} (by ${document.updatedBy} at ${document.updatedAt}: "${document.reason}")`;

export const configurationErrors = {
  stale: (message: string) => new PrimaryError(CONFIGURATION_ERROR_CODES.stale, 409, message),
  staleChange: (basedOnVersion: number, current: ConfigurationDocument) =>
    configurationErrors.stale(
      `this change was based on version ${basedOnVersion}, but primary now holds ${describeVersion(current)}; nothing was changed: read the configuration again and re-apply your change on top of version ${current.version}`,
    ),
  operatorTokenRequired: (peerAccepted: boolean) =>
    new PrimaryError(
      CONFIGURATION_ERROR_CODES.operatorTokenRequired,
      401,
      `the configuration API needs an operator token${peerAccepted ? " (or stand-in's STANDIN_TOKEN)" : ''}: send Authorization: Bearer <token> for an operator listed in OPERATOR_TOKENS; a customer's app token is not one`,
    ),
  invalid: (what: string, issues: readonly ContractIssue[]) =>
    new PrimaryError(
      CONFIGURATION_ERROR_CODES.invalid,
      400,
      `${what} is invalid: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      issues,
    ),
};
