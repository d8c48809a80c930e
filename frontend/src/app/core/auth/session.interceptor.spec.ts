import { HttpClient, HttpContext } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { aUser, errorResponse, provideTestApp, setXsrfCookie, signIn, tick } from '../../../testing/test-utils';
import { LoginFlow } from './login-flow';
import { AUTH_MESSAGES, SessionStore } from './session.store';
import { SKIP_SESSION_REFRESH } from './http-context';
import { SESSION_REFRESH_EXEMPT_PATHS } from './session.interceptor';

const expired = errorResponse(401, 'UNAUTHENTICATED');

describe('sessionInterceptor (401 → one refresh → retry once)', () => {
  let http: HttpClient;
  let mock: HttpTestingController;
  let auth: SessionStore;
  let router: Router;

  beforeEach(() => {
    sessionStorage.clear();
    setXsrfCookie(null);
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpClient);
    mock = TestBed.inject(HttpTestingController);
    auth = TestBed.inject(SessionStore);
    router = TestBed.inject(Router);
    signIn();
  });

  afterEach(() => mock.verify());

  it('refreshes once and retries the original request once', () => {
    const results: unknown[] = [];
    http.get('/auth/2fa/status').subscribe((r) => results.push(r));

    mock.expectOne('/auth/2fa/status').flush(expired.body, expired.opts);
    const refresh = mock.expectOne('/auth/refresh');
    expect(refresh.request.method).toBe('POST');
    expect(results).toEqual([]);
    refresh.flush({ user: aUser() });

    const retry = mock.expectOne('/auth/2fa/status');
    expect(retry.request.method).toBe('GET');
    retry.flush({ enabled: false, backupCodesRemaining: 0 });
    expect(results).toEqual([{ enabled: false, backupCodesRemaining: 0 }]);
    expect(auth.isLoggedIn()).toBe(true);
  });

  it('never loops: a retry that is refused again ends the session without a second refresh', async () => {
    let error: unknown;
    http.get('/auth/security-events').subscribe({ error: (e) => (error = e) });
    mock.expectOne('/auth/security-events').flush(expired.body, expired.opts);
    mock.expectOne('/auth/refresh').flush({ user: aUser() });
    mock.expectOne('/auth/security-events').flush(expired.body, expired.opts);
    mock.expectNone('/auth/refresh');
    mock.expectNone('/auth/security-events');
    expect(error).toMatchObject({ status: 401 });
    await tick();
    expect(router.url).toBe('/login');
    expect(auth.notice()).toBe(AUTH_MESSAGES.sessionExpired);
  });

  it('sends the user to /login with "Your session expired" when the refresh fails', async () => {
    let error: unknown;
    http.post('/auth/logout-all', {}).subscribe({ error: (e) => (error = e) });
    mock.expectOne('/auth/logout-all').flush(expired.body, expired.opts);
    mock.expectOne('/auth/refresh').flush(expired.body, expired.opts);
    mock.expectNone('/auth/logout-all');
    expect(error).toMatchObject({ status: 401, error: { code: 'UNAUTHENTICATED' } });
    expect(auth.isLoggedIn()).toBe(false);
    await tick();
    expect(router.url).toBe('/login');
    expect(auth.takeNotice()).toBe('Your session expired. Please log in again.');
  });

  it('shares one refresh between concurrent 401s and retries each request once', () => {
    const done: string[] = [];
    http.get('/auth/2fa/status').subscribe(() => done.push('status'));
    http.get('/auth/security-events').subscribe(() => done.push('events'));
    http.get('/auth/me').subscribe(() => done.push('me'));

    mock.expectOne('/auth/2fa/status').flush(expired.body, expired.opts);
    mock.expectOne('/auth/security-events').flush(expired.body, expired.opts);
    mock.expectOne('/auth/me').flush(expired.body, expired.opts);

    const refreshes = mock.match('/auth/refresh');
    expect(refreshes).toHaveLength(1);
    refreshes[0].flush({ user: aUser() });

    mock.expectOne('/auth/2fa/status').flush({ enabled: true, backupCodesRemaining: 10 });
    mock.expectOne('/auth/security-events').flush({ events: [] });
    mock.expectOne('/auth/me').flush(aUser());
    expect(done.sort()).toEqual(['events', 'me', 'status']);
  });

  it('a 401 for a request sent before a refresh that already succeeded is just retried', () => {
    const done: string[] = [];
    http.get('/auth/2fa/status').subscribe(() => done.push('status'));
    http.get('/auth/security-events').subscribe(() => done.push('events'));
    const [status] = [mock.expectOne('/auth/2fa/status')];
    const events = mock.expectOne('/auth/security-events');

    status.flush(expired.body, expired.opts);
    mock.expectOne('/auth/refresh').flush({ user: aUser() });
    mock.expectOne('/auth/2fa/status').flush({ enabled: false, backupCodesRemaining: 0 });

    events.flush(expired.body, expired.opts); // late answer to the old access token
    mock.expectNone('/auth/refresh');
    mock.expectOne('/auth/security-events').flush({ events: [] });
    expect(done).toEqual(['status', 'events']);
  });

  it('after a failed refresh, other 401s do not start another one', () => {
    const errors: number[] = [];
    http.get('/auth/2fa/status').subscribe({ error: (e) => errors.push(e.status) });
    http.get('/auth/security-events').subscribe({ error: (e) => errors.push(e.status) });
    const events = mock.expectOne('/auth/security-events');
    mock.expectOne('/auth/2fa/status').flush(expired.body, expired.opts);
    mock.expectOne('/auth/refresh').flush(expired.body, expired.opts);
    events.flush(expired.body, expired.opts);
    mock.expectNone('/auth/refresh');
    expect(errors).toEqual([401, 401]);
  });

  it('a new login makes refreshing possible again', () => {
    http.get('/auth/2fa/status').subscribe({ error: () => undefined });
    mock.expectOne('/auth/2fa/status').flush(expired.body, expired.opts);
    mock.expectOne('/auth/refresh').flush(expired.body, expired.opts);

    TestBed.inject(LoginFlow).login({ email: 'ada@example.com', password: 'pw' }).subscribe();
    mock.expectOne('/auth/login').flush({ user: aUser() });

    http.get('/auth/2fa/status').subscribe();
    mock.expectOne('/auth/2fa/status').flush(expired.body, expired.opts);
    mock.expectOne('/auth/refresh').flush({ user: aUser() });
    mock.expectOne('/auth/2fa/status').flush({ enabled: false, backupCodesRemaining: 0 });
  });

  it.each(SESSION_REFRESH_EXEMPT_PATHS)('does not refresh on a 401 from %s', (path) => {
    let status = 0;
    http.post(path, {}).subscribe({ error: (e) => (status = e.status) });
    mock.expectOne(path).flush(expired.body, expired.opts);
    mock.expectNone('/auth/refresh');
    expect(status).toBe(401);
  });

  it('does not refresh for the start-up probe (SKIP_SESSION_REFRESH)', () => {
    let status = 0;
    http.get('/auth/me', { context: new HttpContext().set(SKIP_SESSION_REFRESH, true) }).subscribe({
      error: (e) => (status = e.status),
    });
    mock.expectOne('/auth/me').flush(expired.body, expired.opts);
    mock.expectNone('/auth/refresh');
    expect(status).toBe(401);
  });

  it.each(['REAUTH_REQUIRED', 'INVALID_PASSWORD'])('leaves a 401 %s to the form (no refresh, no redirect)', async (code) => {
    let error: unknown;
    http.post('/auth/2fa/setup', {}).subscribe({ error: (e) => (error = e) });
    const { body, opts } = errorResponse(401, code);
    mock.expectOne('/auth/2fa/setup').flush(body, opts);
    mock.expectNone('/auth/refresh');
    expect(error).toMatchObject({ error: { code } });
    await tick();
    expect(router.url).not.toBe('/login');
    expect(auth.isLoggedIn()).toBe(true);
  });

  it('ignores other errors (400, 403, 500)', () => {
    for (const status of [400, 403, 500]) {
      http.get('/auth/2fa/status').subscribe({ error: () => undefined });
      mock.expectOne('/auth/2fa/status').flush({ code: 'X', message: 'x' }, { status, statusText: 'x' });
    }
    mock.expectNone('/auth/refresh');
  });

  it('retries a POST with the XSRF token as it is after the refresh', () => {
    setXsrfCookie('before');
    http.post('/auth/2fa/backup-codes', { code: '123456' }).subscribe();
    const first = mock.expectOne('/auth/2fa/backup-codes');
    expect(first.request.headers.get('X-XSRF-TOKEN')).toBe('before');
    first.flush(expired.body, expired.opts);
    const refresh = mock.expectOne('/auth/refresh');
    expect(refresh.request.headers.get('X-XSRF-TOKEN')).toBe('before');
    setXsrfCookie('after'); // the server rotated it with the refresh response
    refresh.flush({ user: aUser() });
    const retry = mock.expectOne('/auth/2fa/backup-codes');
    expect(retry.request.headers.get('X-XSRF-TOKEN')).toBe('after');
    expect(retry.request.body).toEqual({ code: '123456' });
    expect(retry.request.withCredentials).toBe(true);
    retry.flush({ backupCodes: [] });
  });
});

describe('csrfRetryInterceptor (403 CSRF_FAILED → fresh cookie → retry once)', () => {
  let http: HttpClient;
  let mock: HttpTestingController;

  beforeEach(() => {
    setXsrfCookie(null);
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpClient);
    mock = TestBed.inject(HttpTestingController);
  });

  afterEach(() => mock.verify());

  it('fetches a new XSRF cookie and retries once with it', () => {
    const results: unknown[] = [];
    http.post('/auth/logout-all', {}).subscribe((r) => results.push(r));
    const csrfFailed = errorResponse(403, 'CSRF_FAILED');
    const first = mock.expectOne('/auth/logout-all');
    expect(first.request.headers.has('X-XSRF-TOKEN')).toBe(false);
    first.flush(csrfFailed.body, csrfFailed.opts);
    setXsrfCookie('fresh');
    mock.expectOne('/auth/csrf').flush(null, { status: 204, statusText: 'No Content' });
    const retry = mock.expectOne('/auth/logout-all');
    expect(retry.request.headers.get('X-XSRF-TOKEN')).toBe('fresh');
    retry.flush({ message: 'ok' });
    expect(results).toEqual([{ message: 'ok' }]);
  });

  it('retries a DELETE (sessions, remembered devices) the same way', () => {
    let done = false;
    http.delete('/auth/sessions/s1').subscribe(() => (done = true));
    const csrfFailed = errorResponse(403, 'CSRF_FAILED');
    mock.expectOne('/auth/sessions/s1').flush(csrfFailed.body, csrfFailed.opts);
    setXsrfCookie('fresh-2');
    mock.expectOne('/auth/csrf').flush(null, { status: 204, statusText: 'No Content' });
    const retry = mock.expectOne('/auth/sessions/s1');
    expect(retry.request.method).toBe('DELETE');
    expect(retry.request.headers.get('X-XSRF-TOKEN')).toBe('fresh-2');
    retry.flush(null, { status: 204, statusText: 'No Content' });
    expect(done).toBe(true);
  });

  it('leaves other 403s and GETs alone', () => {
    const statuses: number[] = [];
    http.post('/auth/sessions/revoke-others', {}).subscribe({ error: (e) => statuses.push(e.status) });
    const forbidden = errorResponse(403, 'TWOFA_SETUP_REQUIRED');
    mock.expectOne('/auth/sessions/revoke-others').flush(forbidden.body, forbidden.opts);
    const csrfFailed = errorResponse(403, 'CSRF_FAILED');
    http.get('/auth/sessions').subscribe({ error: (e) => statuses.push(e.status) });
    mock.expectOne('/auth/sessions').flush(csrfFailed.body, csrfFailed.opts);
    mock.expectNone('/auth/csrf');
    expect(statuses).toEqual([403, 403]);
  });

  it('gives up after one retry', () => {
    let status = 0;
    http.post('/auth/logout-all', {}).subscribe({ error: (e) => (status = e.status) });
    const csrfFailed = errorResponse(403, 'CSRF_FAILED');
    mock.expectOne('/auth/logout-all').flush(csrfFailed.body, csrfFailed.opts);
    mock.expectOne('/auth/csrf').flush(null, { status: 204, statusText: 'No Content' });
    mock.expectOne('/auth/logout-all').flush(csrfFailed.body, csrfFailed.opts);
    mock.expectNone('/auth/csrf');
    expect(status).toBe(403);
  });
});
