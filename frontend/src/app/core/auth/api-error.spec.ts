import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { ApiError, NETWORK_ERROR_MESSAGE, attemptsText, describeProofError, formatDrift, formatWait, readApiError } from './api-error';

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
    expect(plain.retryInSeconds).toBeUndefined();
  });

  it('reads retryInSeconds of a replay (0 included)', () => {
    const replay = (retryInSeconds: unknown) =>
      readApiError(new HttpErrorResponse({ status: 400, error: { message: 'm', code: 'INVALID_CODE', reason: 'replay', retryInSeconds } }));
    expect(replay(18)).toMatchObject({ reason: 'replay', retryInSeconds: 18 });
    expect(replay(0).retryInSeconds).toBe(0);
    expect(replay('soon').retryInSeconds).toBeUndefined();
  });
});

describe('describeProofError', () => {
  const invalid = (extra: Partial<ApiError> = {}): ApiError => ({ status: 400, code: 'INVALID_CODE', message: 'm', ...extra });

  it('explains a replayed code: how long until the next one, with the attempts left', () => {
    expect(describeProofError(invalid({ reason: 'replay', retryInSeconds: 18, attemptsRemaining: 2 }))).toBe(
      'This code was already used. Wait for the next one (about 18 s). 2 attempts remaining.',
    );
    expect(describeProofError(invalid({ reason: 'replay', retryInSeconds: 0 }))).toBe('This code was already used. Enter the new code your app shows.');
    expect(describeProofError(invalid({ reason: 'replay' }))).toBe(
      'This code was already used. Wait for the next code in your app (a new one appears every 30 seconds).',
    );
  });

  it('says how far and which way the phone clock is off, and what to do', () => {
    expect(describeProofError(invalid({ reason: 'clock_drift', driftSeconds: -120, attemptsRemaining: 4 }))).toBe(
      'Your authenticator’s clock looks about 2 minutes slow: set the phone’s time to automatic, then try the next code. 4 attempts remaining.',
    );
    expect(describeProofError(invalid({ reason: 'clock_drift', driftSeconds: 90 }))).toContain('about a minute and a half fast:');
    expect(describeProofError(invalid({ reason: 'clock_drift', driftSeconds: 60 }))).toContain('about 1 minute fast:');
    expect(describeProofError(invalid({ reason: 'clock_drift', driftSeconds: -300 }))).toContain('about 5 minutes slow:');
    expect(describeProofError(invalid({ reason: 'clock_drift' }))).toBe(
      'Your authenticator’s clock looks off: set the phone’s time to automatic, then try the next code.',
    );
  });

  it.each([
    [30, '30 seconds'],
    [-45, '1 minute'],
    [60, '1 minute'],
    [90, 'a minute and a half'],
    [-120, '2 minutes'],
    [150, '2 and a half minutes'],
    [170, '3 minutes'],
    [300, '5 minutes'],
  ])('formatDrift(%i) reads "%s"', (seconds, words) => {
    expect(formatDrift(seconds)).toBe(words);
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
