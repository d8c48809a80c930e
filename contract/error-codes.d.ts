/** Every code the API can answer (error-codes.js holds the statuses and words). */
export type ErrorCode =
  | "VALIDATION_FAILED"
  | "MALFORMED_JSON"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "MALFORMED_BODY"
  | "UNSUPPORTED_CONTENT_ENCODING"
  | "EMAIL_TAKEN"
  | "INVALID_CREDENTIALS"
  | "UNAUTHENTICATED"
  | "SESSION_EXPIRED"
  | "SESSION_REVOKED"
  | "REAUTH_REQUIRED"
  | "INVALID_PASSWORD"
  | "INVALID_CODE"
  | "CODE_ALREADY_USED"
  | "NO_PENDING_SETUP"
  | "TWOFA_ALREADY_ENABLED"
  | "TWOFA_NOT_ENABLED"
  | "TWOFA_SETUP_REQUIRED"
  | "PASSKEY_FAILED"
  | "PASSKEY_NOT_REGISTERED"
  | "PASSKEY_ALREADY_REGISTERED"
  | "CSRF_FAILED"
  | "TOO_MANY_ATTEMPTS"
  | "TOO_MANY_REQUESTS"
  | "RESET_LINK_INVALID"
  | "RESET_LINK_USED"
  | "RESET_LINK_EXPIRED"
  | "ENROLMENT_LINK_INVALID"
  | "ENROLMENT_LINK_EXPIRED"
  | "FORBIDDEN"
  | "NOT_LOCKED"
  | "NOT_FOUND"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_ERROR";

export interface ErrorDefinition {
  /** the HTTP status it is always sent with */
  readonly status: number;
  /** the API's words (the `message` of the body) */
  readonly message: string;
  /** 401 only: the session is gone — the SPA refreshes and retries (other 401s ask the user) */
  readonly refreshSession?: true;
  /** the SPA's words when a wait is known; `{wait}` is formatWait(seconds), `{what}` e.g. "requests" */
  readonly retryText?: string;
}

export declare const ERROR_CODES: { readonly [C in ErrorCode]: ErrorDefinition };

export type InvalidCodeReason = "replay" | "clock_drift" | "backup_code_used";
export declare const INVALID_CODE_REASONS: readonly InvalidCodeReason[];

export type PasskeyFailedReason = "user_verification" | "counter_rollback" | "unknown_credential" | "challenge";
export declare const PASSKEY_FAILED_REASONS: readonly PasskeyFailedReason[];

export declare function isErrorCode(code: unknown): code is ErrorCode;
/** A 401 with this code (or none, or an unknown one) means the session is gone: refresh and retry. */
export declare function isSessionErrorCode(code: string | undefined | null): boolean;
/** "45 seconds", "1 minute", "15 minutes"; "a little while" when unknown */
export declare function formatWait(seconds: number | undefined | null): string;
/** "Too many attempts. Please wait 15 minutes before trying again."; `what` (default "requests") for TOO_MANY_REQUESTS: "Too many login attempts. …" */
export declare function retryText(code: string | undefined | null, retryAfterSeconds: number | undefined | null, what?: string): string;
/** " 3 attempts remaining." (leading space), "" when unknown */
export declare function attemptsText(attemptsRemaining: number | undefined | null): string;
