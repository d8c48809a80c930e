import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aSession } from '../../../testing/fixtures';
import { errorResponse, provideTestApp, setXsrfCookie, signIn } from '../../../testing/test-utils';
import { SessionStore } from '../auth/session.store';
import { SessionsApi } from './sessions.api';

describe('SessionsApi', () => {
  let api: SessionsApi;
  let http: HttpTestingController;

  beforeEach(() => {
    setXsrfCookie('xsrf-1');
    TestBed.configureTestingModule({ providers: provideTestApp() });
    api = TestBed.inject(SessionsApi);
    http = TestBed.inject(HttpTestingController);
    signIn();
  });

  afterEach(() => {
    http.verify();
    setXsrfCookie(null);
  });

  it('list: GET /auth/sessions with credentials', async () => {
    const result = firstValueFrom(api.list());
    const req = http.expectOne('/auth/sessions');
    expect(req.request.method).toBe('GET');
    expect(req.request.withCredentials).toBe(true);
    req.flush({ sessions: [aSession({ current: true })] });
    expect(await result).toEqual([aSession({ current: true })]);
  });

  it('revoke: DELETE /auth/sessions/:id (escaped) with the XSRF header; 404 reaches the caller', async () => {
    const done = firstValueFrom(api.revoke('a/b'), { defaultValue: undefined });
    const req = http.expectOne('/auth/sessions/a%2Fb');
    expect(req.request.method).toBe('DELETE');
    expect(req.request.headers.get('X-XSRF-TOKEN')).toBe('xsrf-1');
    req.flush(null, { status: 204, statusText: 'No Content' });
    await done;

    const gone = firstValueFrom(api.revoke('s9'));
    const notFound = errorResponse(404, 'NOT_FOUND');
    http.expectOne('/auth/sessions/s9').flush(notFound.body, notFound.opts);
    await expect(gone).rejects.toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
  });

  it('revokeOthers: POST /auth/sessions/revoke-others answers how many ended', async () => {
    const result = firstValueFrom(api.revokeOthers());
    const req = http.expectOne('/auth/sessions/revoke-others');
    expect(req.request.method).toBe('POST');
    expect(req.request.headers.get('X-XSRF-TOKEN')).toBe('xsrf-1');
    req.flush({ revoked: 3 });
    expect(await result).toBe(3);
  });

  it('logout: POST /auth/logout (with the XSRF token) clears the session, even if the call fails', async () => {
    const result = firstValueFrom(api.logout());
    const req = http.expectOne('/auth/logout');
    expect(req.request.method).toBe('POST');
    expect(req.request.headers.get('X-XSRF-TOKEN')).toBe('xsrf-1');
    req.flush('boom', { status: 500, statusText: 'Server Error' });
    await expect(result).resolves.toBeUndefined();
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(false);
  });

  it('logoutAll: POST /auth/logout-all clears the session', async () => {
    const result = firstValueFrom(api.logoutAll());
    http.expectOne('/auth/logout-all').flush({ message: 'Logged out everywhere' });
    await result;
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(false);
  });
});
