import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { NETWORK_ERROR_MESSAGE, attemptsText, formatWait, readApiError } from './api-error';

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
