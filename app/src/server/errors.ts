// The app server's errors, with stable codes, in one place. Answers use the project's envelope:
// {"error": {"code", "message"}}; 4xx for the caller's mistakes, never a stack trace.

export const APP_ERROR_CODES = {
  OPERATOR_TOKEN_REQUIRED: 'APP_OPERATOR_TOKEN_REQUIRED',
  OPERATOR_TOKEN_REFUSED: 'APP_OPERATOR_TOKEN_REFUSED',
  NOT_LOCAL_MODE: 'APP_NOT_LOCAL_MODE',
  DEMO_NOT_READY: 'APP_DEMO_NOT_READY',
  NOT_FOUND: 'APP_NOT_FOUND',
  BAD_REQUEST: 'APP_BAD_REQUEST',
  INTERNAL: 'APP_INTERNAL',
} as const;

export class AppServerError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: (typeof APP_ERROR_CODES)[keyof typeof APP_ERROR_CODES],
    message: string,
  ) {
    super(message);
  }
}

export const envelope = (code: string, message: string) => ({ error: { code, message } });
