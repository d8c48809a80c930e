// Every error the API can answer, in one catalogue, and the words the SPA shows for them. The
// backend answers `{message, code, ...extra}` with `message` from here (backend/src/http/errors.ts
// re-exports this as ERROR_CODES); the SPA switches on `code` and words waits and attempts with the
// helpers below. Add a code here and in error-codes.d.ts (a backend test compares the two lists).
"use strict";

/**
 * status: the HTTP status it is always sent with. message: the API's words.
 * refreshSession (401 only): the access token is missing, expired or revoked — the SPA refreshes
 * the session and retries; every other 401 asks the user for something (a password, a code).
 * retryText: the SPA's words when the answer carries a wait (Retry-After); {wait} is "15 minutes",
 * {what} what was sent too often ("requests" unless the page knows better: "login attempts").
 */
const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, message: "The request is invalid" },
  MALFORMED_JSON: { status: 400, message: "The request body is not valid JSON" },
  PAYLOAD_TOO_LARGE: { status: 413, message: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Send JSON (Content-Type: application/json)" },
  MALFORMED_BODY: { status: 400, message: "The request body could not be read: it is truncated or not encoded as its headers say" },
  UNSUPPORTED_CONTENT_ENCODING: { status: 415, message: "This Content-Encoding is not supported: send the body uncompressed, or as gzip, deflate or br" },
  EMAIL_TAKEN: { status: 409, message: "An account with this email already exists" },
  INVALID_CREDENTIALS: { status: 401, message: "Invalid email or password" },
  UNAUTHENTICATED: { status: 401, message: "You are not logged in", refreshSession: true },
  SESSION_EXPIRED: { status: 401, message: "Your login attempt expired. Please log in again" },
  SESSION_REVOKED: { status: 401, message: "This session was ended for your security. Please log in again", refreshSession: true },
  REAUTH_REQUIRED: { status: 401, message: "Please confirm your password to continue" },
  INVALID_PASSWORD: { status: 401, message: "The password is incorrect" },
  INVALID_CODE: { status: 400, message: "The code is invalid" },
  CODE_ALREADY_USED: { status: 400, message: "This code was already used. Wait for the next code" },
  NO_PENDING_SETUP: { status: 400, message: "Start two-factor setup first" },
  TWOFA_ALREADY_ENABLED: { status: 409, message: "Two-factor authentication is already enabled" },
  TWOFA_NOT_ENABLED: { status: 400, message: "Two-factor authentication is not enabled" },
  TWOFA_SETUP_REQUIRED: { status: 403, message: "Set up two-factor authentication to continue" },
  PASSKEY_FAILED: { status: 400, message: "The passkey or security key could not be verified" },
  PASSKEY_NOT_REGISTERED: { status: 400, message: "No passkey or security key is registered for this account" },
  PASSKEY_ALREADY_REGISTERED: { status: 409, message: "This passkey or security key is already registered" },
  CSRF_FAILED: { status: 403, message: "Invalid or missing CSRF token" },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    message: "Too many wrong codes. Try again later",
    retryText: "Too many attempts. Please wait {wait} before trying again.",
  },
  TOO_MANY_REQUESTS: {
    status: 429,
    message: "Too many requests. Try again later",
    retryText: "Too many {what}. Please wait {wait} and try again.",
  },
  RESET_LINK_INVALID: { status: 400, message: "This password reset link is not valid. Ask for a new one" },
  RESET_LINK_USED: { status: 400, message: "This password reset link was already used. Ask for a new one if you need to" },
  RESET_LINK_EXPIRED: { status: 400, message: "This password reset link has expired. Ask for a new one" },
  ENROLMENT_LINK_INVALID: { status: 400, message: "This link to set up two-factor authentication is not valid. Use the newest link we emailed you, or ask for a new one" },
  ENROLMENT_LINK_EXPIRED: { status: 400, message: "This link to set up two-factor authentication has expired. Ask for a new one" },
  FORBIDDEN: { status: 403, message: "You are not allowed to do this" },
  NOT_LOCKED: { status: 409, message: "This account is not locked" },
  NOT_FOUND: { status: 404, message: "Not found" },
  SERVICE_UNAVAILABLE: { status: 503, message: "The service is temporarily unavailable" },
  INTERNAL_ERROR: { status: 500, message: "Something went wrong" },
};
for (const entry of Object.values(ERROR_CODES)) Object.freeze(entry);
Object.freeze(ERROR_CODES);

/**
 * Why a code was refused (INVALID_CODE `reason`): `replay` (already used: wait for the next one),
 * `clock_drift` (it matches a time step 2–10 steps away: never accepted), `backup_code_used`.
 */
const INVALID_CODE_REASONS = Object.freeze(["replay", "clock_drift", "backup_code_used"]);

/** Why a passkey was refused (PASSKEY_FAILED `reason`). */
const PASSKEY_FAILED_REASONS = Object.freeze(["user_verification", "counter_rollback", "unknown_credential", "challenge"]);

/** Whether `code` is one of ours. */
function isErrorCode(code) {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/**
 * A 401 that means "your session is gone: refresh and retry" — no code (a proxy's 401), a code we
 * do not know, or one marked refreshSession. Every other 401 asks the user for something.
 */
function isSessionErrorCode(code) {
  if (!isErrorCode(code)) return true;
  return ERROR_CODES[code].status === 401 && ERROR_CODES[code].refreshSession === true;
}

/** "45 seconds", "1 minute", "15 minutes" (rounded up: never promise a wait that is too short). */
function formatWait(seconds) {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds) || seconds <= 0) return "a little while";
  const s = Math.ceil(seconds);
  if (s < 60) return s === 1 ? "1 second" : `${s} seconds`;
  const m = Math.ceil(s / 60);
  return m === 1 ? "1 minute" : `${m} minutes`;
}

/**
 * The words for a 429: the code's retryText with the wait filled in ("Too many attempts. Please
 * wait 15 minutes before trying again."). A 429 without one of our codes reads as TOO_MANY_REQUESTS;
 * `what` names what was sent too often ("login attempts"; default "requests").
 */
function retryText(code, retryAfterSeconds, what = "requests") {
  const entry = isErrorCode(code) && ERROR_CODES[code].retryText ? ERROR_CODES[code] : ERROR_CODES.TOO_MANY_REQUESTS;
  return entry.retryText.replace("{wait}", formatWait(retryAfterSeconds)).replace("{what}", what);
}

/** " 3 attempts remaining." (with its leading space), "" when the server did not say. */
function attemptsText(attemptsRemaining) {
  if (attemptsRemaining === undefined || attemptsRemaining === null) return "";
  if (attemptsRemaining === 0) return " No attempts remaining.";
  return attemptsRemaining === 1 ? " 1 attempt remaining." : ` ${attemptsRemaining} attempts remaining.`;
}

module.exports = {
  ERROR_CODES,
  INVALID_CODE_REASONS,
  PASSKEY_FAILED_REASONS,
  isErrorCode,
  isSessionErrorCode,
  formatWait,
  retryText,
  attemptsText,
};
