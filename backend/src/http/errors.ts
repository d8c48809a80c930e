// Every error the API can answer, in one catalogue. Tests assert against these codes and
// messages; the SPA switches on `code`.
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, message: "The request is invalid" },
  MALFORMED_JSON: { status: 400, message: "The request body is not valid JSON" },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Send JSON (Content-Type: application/json)" },
  EMAIL_TAKEN: { status: 409, message: "An account with this email already exists" },
  INVALID_CREDENTIALS: { status: 401, message: "Invalid email or password" },
  UNAUTHENTICATED: { status: 401, message: "You are not logged in" },
  SESSION_EXPIRED: { status: 401, message: "Your login attempt expired. Please log in again" },
  SESSION_REVOKED: { status: 401, message: "This session was ended for your security. Please log in again" },
  REAUTH_REQUIRED: { status: 401, message: "Please confirm your password to continue" },
  INVALID_PASSWORD: { status: 401, message: "The password is incorrect" },
  INVALID_CODE: { status: 400, message: "The code is invalid" },
  CODE_ALREADY_USED: { status: 400, message: "This code was already used. Wait for the next code" },
  NO_PENDING_SETUP: { status: 400, message: "Start two-factor setup first" },
  TWOFA_ALREADY_ENABLED: { status: 409, message: "Two-factor authentication is already enabled" },
  TWOFA_NOT_ENABLED: { status: 400, message: "Two-factor authentication is not enabled" },
  TWOFA_SETUP_REQUIRED: { status: 403, message: "Set up two-factor authentication to continue" },
  CSRF_FAILED: { status: 403, message: "Invalid or missing CSRF token" },
  TOO_MANY_ATTEMPTS: { status: 429, message: "Too many wrong codes. Try again later" },
  TOO_MANY_REQUESTS: { status: 429, message: "Too many requests. Try again later" },
  RESET_LINK_INVALID: { status: 400, message: "This password reset link is not valid. Ask for a new one" },
  RESET_LINK_USED: { status: 400, message: "This password reset link was already used. Ask for a new one if you need to" },
  RESET_LINK_EXPIRED: { status: 400, message: "This password reset link has expired. Ask for a new one" },
  FORBIDDEN: { status: 403, message: "You are not allowed to do this" },
  NOT_LOCKED: { status: 409, message: "This account is not locked" },
  NOT_FOUND: { status: 404, message: "Not found" },
  SERVICE_UNAVAILABLE: { status: 503, message: "The service is temporarily unavailable" },
  INTERNAL_ERROR: { status: 500, message: "Something went wrong" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly extra: Record<string, unknown> = {},
    message?: string,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.status = ERROR_CODES[code].status;
  }

  toJSON() {
    return { message: this.message, code: this.code, ...this.extra };
  }
}

export function errorBody(code: ErrorCode, extra: Record<string, unknown> = {}) {
  return new AppError(code, extra).toJSON();
}
