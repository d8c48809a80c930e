// Every error the API can answer, in one catalogue shared with the SPA: @twofa/contract
// (contract/error-codes.js: the code, its status and its words). Tests assert against these codes
// and messages; the SPA switches on `code`. Add a new code there, not here.
import { ERROR_CODES, type ErrorCode } from "@twofa/contract";

export { ERROR_CODES, type ErrorCode };

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

export function errorBody(code: ErrorCode, extra: Record<string, unknown> = {}, message?: string) {
  return new AppError(code, extra, message).toJSON();
}
