import { HttpErrorResponse } from '@angular/common/http';
import { attemptsText, retryText } from '@twofa/contract';
import { ApiErrorBody, ReauthNeed } from './api.types';

/** A normalised view of a failed API call. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  attemptsRemaining?: number;
  retryAfterSeconds?: number;
  /** INVALID_CODE: `replay`, `clock_drift`, `backup_code_used` (absent when the code was just wrong). */
  reason?: string;
  /** INVALID_CODE with reason `clock_drift`: signed offset of the phone's clock, in seconds. */
  driftSeconds?: number;
  /** INVALID_CODE with reason `replay`: seconds until the app shows a newer code (0: it already does). */
  retryInSeconds?: number;
  /** REAUTH_REQUIRED: what the request must carry (`password`, `secondFactor`, `enrolmentLink`). */
  needs?: ReauthNeed[];
  /** VALIDATION_FAILED lists what was wrong: `[{field, message}]`. */
  fields?: { field: string; message: string }[];
}

export const NETWORK_ERROR_MESSAGE = 'Cannot reach the server. Check your connection and try again.';
export const GENERIC_ERROR_MESSAGE = 'Something went wrong. Please try again.';

function isErrorBody(value: unknown): value is Partial<ApiErrorBody> {
  return typeof value === 'object' && value !== null;
}

function positiveInt(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.ceil(n) : undefined;
}

function readFields(value: unknown): { field: string; message: string }[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((f): f is { field: string; message: string } =>
      typeof f === 'object' && f !== null && typeof f.field === 'string' && typeof f.message === 'string',
    )
    .map((f) => ({ field: f.field, message: f.message }));
}

const REAUTH_NEEDS: readonly string[] = ['password', 'secondFactor', 'enrolmentLink'];

function readNeeds(value: unknown): ReauthNeed[] {
  return Array.isArray(value) ? value.filter((n): n is ReauthNeed => typeof n === 'string' && REAUTH_NEEDS.includes(n)) : [];
}

function capitalise(word: string): string {
  return word ? word.charAt(0).toUpperCase() + word.slice(1) : word;
}

/** Reads `{message, code, attemptsRemaining, retryAfterSeconds}` and the Retry-After header. */
export function readApiError(err: unknown): ApiError {
  if (!(err instanceof HttpErrorResponse)) {
    return { status: -1, code: 'UNKNOWN', message: GENERIC_ERROR_MESSAGE };
  }
  if (err.status === 0) {
    return { status: 0, code: 'NETWORK', message: NETWORK_ERROR_MESSAGE };
  }
  let body: unknown = err.error;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  const b = isErrorBody(body) ? body : {};
  const retryAfterSeconds = positiveInt(b.retryAfterSeconds) ?? positiveInt(err.headers?.get('Retry-After'));
  const attemptsRemaining = positiveInt(b.attemptsRemaining);
  const result: ApiError = {
    status: err.status,
    code: typeof b.code === 'string' ? b.code : `HTTP_${err.status}`,
    message: typeof b.message === 'string' && b.message ? b.message : GENERIC_ERROR_MESSAGE,
  };
  const fields = readFields(b['fields']);
  if (fields.length > 0) {
    result.fields = fields;
    result.message = fields.map((f) => `${capitalise(f.field)} ${f.message}.`).join(' ');
  }
  if (attemptsRemaining !== undefined) result.attemptsRemaining = attemptsRemaining;
  if (retryAfterSeconds !== undefined) result.retryAfterSeconds = retryAfterSeconds;
  if (typeof b.reason === 'string' && b.reason) result.reason = b.reason;
  const drift = typeof b.driftSeconds === 'number' ? b.driftSeconds : Number.NaN;
  if (Number.isFinite(drift)) result.driftSeconds = drift;
  const needs = readNeeds(b['needs']);
  if (needs.length > 0) result.needs = needs;
  const retryIn = positiveInt(b['retryInSeconds']);
  if (retryIn !== undefined) result.retryInSeconds = retryIn;
  return result;
}

// The words for waits, attempts and 429s come from the one catalogue the API uses (@twofa/contract).
export { attemptsText, formatWait } from '@twofa/contract';

/** "Too many attempts. Please wait 15 minutes before trying again." (TOO_MANY_ATTEMPTS) */
export function tooManyAttemptsText(retryAfterSeconds: number | undefined): string {
  return retryText('TOO_MANY_ATTEMPTS', retryAfterSeconds);
}

/**
 * A 429's words from its code: TOO_MANY_ATTEMPTS (the account's guess budget) or TOO_MANY_REQUESTS
 * (a flood limit; `what` names what was sent too often: "login attempts").
 */
export function rateLimitText(e: Pick<ApiError, 'code' | 'retryAfterSeconds'>, what?: string): string {
  return retryText(e.code, e.retryAfterSeconds, what);
}

/**
 * How far a clock is off, to the nearest half minute from a minute on: "45 seconds", "1 minute",
 * "a minute and a half", "2 minutes", "2 and a half minutes".
 */
export function formatDrift(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 45) return s === 1 ? '1 second' : `${s} seconds`;
  const halves = Math.max(2, Math.round(s / 30));
  const minutes = Math.floor(halves / 2);
  if (halves % 2 === 0) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return minutes === 1 ? 'a minute and a half' : `${minutes} and a half minutes`;
}

/** "Your authenticator's clock looks about 2 minutes slow: set the phone's time to automatic, then try the next code." */
export function driftText(driftSeconds: number | undefined): string {
  const fix = 'set the phone’s time to automatic, then try the next code.';
  if (driftSeconds === undefined || Math.round(driftSeconds) === 0) return `Your authenticator’s clock looks off: ${fix}`;
  return `Your authenticator’s clock looks about ${formatDrift(driftSeconds)} ${driftSeconds < 0 ? 'slow' : 'fast'}: ${fix}`;
}

/** "This code was already used. Wait for the next one (about 18 s)." */
export function replayText(retryInSeconds: number | undefined): string {
  if (retryInSeconds === undefined) return 'This code was already used. Wait for the next code in your app (a new one appears every 30 seconds).';
  if (retryInSeconds <= 0) return 'This code was already used. Enter the new code your app shows.';
  return `This code was already used. Wait for the next one (about ${retryInSeconds} s).`;
}

/**
 * Words for a refused proof (a password, an authenticator code or a backup code given to log in or
 * to confirm a change): 429 / TOO_MANY_ATTEMPTS with the wait, INVALID_PASSWORD, INVALID_CODE with
 * its reason (`replay`, `clock_drift`, `backup_code_used`) and the attempts left; otherwise the
 * server's message.
 */
export function describeProofError(e: ApiError, proof: 'code' | 'backupCode' = 'code'): string {
  if (e.status === 429 || e.code === 'TOO_MANY_ATTEMPTS') return tooManyAttemptsText(e.retryAfterSeconds);
  const attempts = attemptsText(e.attemptsRemaining);
  if (e.code === 'INVALID_PASSWORD') return `Incorrect password.${attempts}`;
  if (e.code !== 'INVALID_CODE') return e.message;
  switch (e.reason) {
    case 'replay':
      return `${replayText(e.retryInSeconds)}${attempts}`;
    case 'clock_drift':
      return `${driftText(e.driftSeconds)}${attempts}`;
    case 'backup_code_used':
      return `That backup code was already used: each one works once. Try another one.${attempts}`;
    default:
      return `${proof === 'backupCode' ? 'That backup code didn’t work.' : 'That code didn’t work.'}${attempts}`;
  }
}
