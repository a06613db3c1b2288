import type { ContractIssue } from '@bank/shared-contracts';

/**
 * Every error the gateway answers with itself (as opposed to a platform's answer, which it passes
 * on unchanged), created here with a stable code. The message says what happened and what the
 * sender should do; it never holds a card number.
 */
export class GatewayError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly issues?: readonly ContractIssue[],
    /** ISO 8583 field 39 for the network, when the gateway answers a message in a platform's place. */
    readonly responseCode?: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  toBody(): { error: { code: string; message: string; issues?: readonly ContractIssue[] }; responseCode?: string } {
    return {
      error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) },
      ...(this.responseCode ? { responseCode: this.responseCode } : {}),
    };
  }
}

export const GATEWAY_ERROR_CODES = {
  invalidMessage: 'GATEWAY_INVALID_MESSAGE',
  noAnswer: 'GATEWAY_NO_ANSWER',
  clearingDeferred: 'GATEWAY_CLEARING_DEFERRED',
  noRoute: 'GATEWAY_NO_ROUTE',
  badRequest: 'GATEWAY_BAD_REQUEST',
  badUrl: 'GATEWAY_BAD_URL',
  headersTooLarge: 'GATEWAY_HEADERS_TOO_LARGE',
  requestTimeout: 'GATEWAY_REQUEST_TIMEOUT',
  internal: 'GATEWAY_INTERNAL',
  unauthenticated: 'GATEWAY_UNAUTHENTICATED',
  forbidden: 'GATEWAY_FORBIDDEN',
  primaryViewUnavailable: 'GATEWAY_PRIMARY_VIEW_UNAVAILABLE',
} as const;

/** '91': issuer or switch inoperative. The network then applies its own stand-in rules. */
export const NO_ANSWER_RESPONSE_CODE = '91';

export const gatewayErrors = {
  unauthenticated: () =>
    new GatewayError(
      GATEWAY_ERROR_CODES.unauthenticated,
      401,
      'missing or unknown credential: the payment network sends Authorization: Bearer <its NETWORK_TOKEN>; nothing was forwarded',
    ),
  primaryViewUnavailable: () => new GatewayError(GATEWAY_ERROR_CODES.primaryViewUnavailable, 503, 'this gateway keeps no view of primary'),
  forbidden: (caller: string) =>
    new GatewayError(GATEWAY_ERROR_CODES.forbidden, 403, `this route is not for a ${caller} credential: see the gateway's call map (call-map.ts)`),
  invalidMessage: (what: string, issues: readonly ContractIssue[]) =>
    new GatewayError(
      GATEWAY_ERROR_CODES.invalidMessage,
      400,
      `${what} is invalid: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      issues,
    ),
  notJson: (what: string) =>
    new GatewayError(GATEWAY_ERROR_CODES.invalidMessage, 400, `${what} is not valid JSON: send one JSON object with content-type application/json`, [
      { path: '(message)', message: 'expected a JSON object' },
    ]),
  noAnswer: (message: string) => new GatewayError(GATEWAY_ERROR_CODES.noAnswer, 504, message, undefined, NO_ANSWER_RESPONSE_CODE),
  clearingDeferred: (why: string) =>
    new GatewayError(
      GATEWAY_ERROR_CODES.clearingDeferred,
      503,
      `stand-in takes no clearings and ${why}: present this clearing again later, it has not been processed`,
    ),
  badUrl: () =>
    new GatewayError(
      GATEWAY_ERROR_CODES.badUrl,
      400,
      'the request URL is not valid percent-encoding: scheme messages go to /scheme/card/authorisations, /scheme/card/reversals, /scheme/card/clearings or /scheme/faster-payments/inbound',
    ),
  /** `path` as the caller sent it, already shortened and with card-number-like digits masked. */
  noRoute: (method: string, path: string) =>
    new GatewayError(
      GATEWAY_ERROR_CODES.noRoute,
      404,
      `the gateway has no ${method} ${path}; scheme messages go to /scheme/card/authorisations, /scheme/card/reversals, /scheme/card/clearings or /scheme/faster-payments/inbound`,
    ),
};
