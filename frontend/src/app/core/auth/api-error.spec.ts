import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { ApiError, NETWORK_ERROR_MESSAGE, attemptsText, describeProofError, formatWait, readApiError } from './api-error';

describe('readApiError', () => {
  it('reads {message, code, attemptsRemaining}', () => {
    const err = new HttpErrorResponse({
      status: 400,
      error: { message: 'The code is invalid', code: 'INVALID_CODE', attemptsRemaining: 2 },
    });
    expect(readApiError(err)).toEqual({
      status: 400,
      code: 'INVALID_CODE',
      message: 'The code is invalid',
      attemptsRemaining: 2,
    });
  });

  it('takes the wait from the body, else from Retry-After', () => {
    const fromBody = new HttpErrorResponse({ status: 429, error: { message: 'm', code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 90 } });
    expect(readApiError(fromBody).retryAfterSeconds).toBe(90);
    const fromHeader = new HttpErrorResponse({
      status: 429,
      error: { message: 'm', code: 'TOO_MANY_REQUESTS' },
      headers: new HttpHeaders({ 'Retry-After': '120' }),
    });
    expect(readApiError(fromHeader).retryAfterSeconds).toBe(120);
  });

  it('lists validation fields in the message', () => {
    const err = new HttpErrorResponse({
      status: 400,
      error: { message: 'The request is invalid', code: 'VALIDATION_FAILED', fields: [{ field: 'password', message: 'must be at least 12 characters' }] },
    });
    expect(readApiError(err).message).toBe('Password must be at least 12 characters.');
  });

  it('explains network failures and odd bodies', () => {
    expect(readApiError(new HttpErrorResponse({ status: 0 })).message).toBe(NETWORK_ERROR_MESSAGE);
    const html = readApiError(new HttpErrorResponse({ status: 502, error: '<html>Bad gateway</html>' }));
    expect(html.code).toBe('HTTP_502');
    expect(html.message).toMatch(/something went wrong/i);
  });
});

describe('formatWait / attemptsText', () => {
  it('rounds waits up into words', () => {
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(45)).toBe('45 seconds');
    expect(formatWait(60)).toBe('1 minute');
    expect(formatWait(61)).toBe('2 minutes');
    expect(formatWait(900)).toBe('15 minutes');
    expect(formatWait(undefined)).toBe('a little while');
  });

  it('says how many attempts remain', () => {
    expect(attemptsText(3)).toBe(' 3 attempts remaining.');
    expect(attemptsText(1)).toBe(' 1 attempt remaining.');
    expect(attemptsText(0)).toBe(' No attempts remaining.');
    expect(attemptsText(undefined)).toBe('');
  });
});

describe('readApiError: why a code was refused', () => {
  it('reads reason and the signed driftSeconds', () => {
    const err = new HttpErrorResponse({
      status: 400,
      error: { message: 'm', code: 'INVALID_CODE', attemptsRemaining: 3, reason: 'clock_drift', driftSeconds: -120 },
    });
    expect(readApiError(err)).toMatchObject({ code: 'INVALID_CODE', attemptsRemaining: 3, reason: 'clock_drift', driftSeconds: -120 });
    const plain = readApiError(new HttpErrorResponse({ status: 400, error: { message: 'm', code: 'INVALID_CODE' } }));
    expect(plain.reason).toBeUndefined();
    expect(plain.driftSeconds).toBeUndefined();
  });
});

describe('describeProofError', () => {
  const invalid = (extra: Partial<ApiError> = {}): ApiError => ({ status: 400, code: 'INVALID_CODE', message: 'm', ...extra });

  it('explains a replayed code (wait for the next one) with the attempts left', () => {
    expect(describeProofError(invalid({ reason: 'replay', attemptsRemaining: 2 }))).toBe(
      'That code was already used. Wait for the next code in your app (a new one appears every 30 seconds). 2 attempts remaining.',
    );
  });

  it('says which way the phone clock is off', () => {
    expect(describeProofError(invalid({ reason: 'clock_drift', driftSeconds: 120 }))).toContain('about 2 minutes ahead');
    expect(describeProofError(invalid({ reason: 'clock_drift', driftSeconds: -90 }))).toContain('about 2 minutes behind');
    expect(describeProofError(invalid({ reason: 'clock_drift' }))).toContain('seems to be off');
  });

  it('names a spent backup code, a wrong code and a wrong backup code', () => {
    expect(describeProofError(invalid({ reason: 'backup_code_used' }), 'backupCode')).toContain('already used: each one works once');
    expect(describeProofError(invalid({ attemptsRemaining: 1 }))).toBe('That code didn’t work. 1 attempt remaining.');
    expect(describeProofError(invalid(), 'backupCode')).toBe('That backup code didn’t work.');
  });

  it('shows a wrong password with the attempts left, the wait after too many, else the server message', () => {
    expect(describeProofError({ status: 401, code: 'INVALID_PASSWORD', message: 'm', attemptsRemaining: 4 })).toBe(
      'Incorrect password. 4 attempts remaining.',
    );
    expect(describeProofError({ status: 429, code: 'TOO_MANY_ATTEMPTS', message: 'm', retryAfterSeconds: 840 })).toBe(
      'Too many attempts. Please wait 14 minutes before trying again.',
    );
    expect(describeProofError({ status: 400, code: 'VALIDATION_FAILED', message: 'Code is required.' })).toBe('Code is required.');
  });
});
