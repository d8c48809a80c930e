import { HttpErrorResponse } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { aUser, errorResponse, provideTestApp, setXsrfCookie, signIn, tick } from '../../../testing/test-utils';
import { AUTH_MESSAGES, AuthService } from './auth.service';
import { SKIP_SESSION_REFRESH } from './http-context';

describe('AuthService', () => {
  let auth: AuthService;
  let http: HttpTestingController;
  let router: Router;

  beforeEach(() => {
    sessionStorage.clear();
    setXsrfCookie(null);
    TestBed.configureTestingModule({ providers: provideTestApp() });
    auth = TestBed.inject(AuthService);
    http = TestBed.inject(HttpTestingController);
    router = TestBed.inject(Router);
  });

  afterEach(() => http.verify());

  function expectCall(method: string, url: string): TestRequest {
    const req = http.expectOne(url);
    expect(req.request.method).toBe(method);
    expect(req.request.withCredentials).toBe(true);
    return req;
  }

  describe('init (app initializer)', () => {
    it('asks GET /auth/session once (no XSRF call, no refresh interceptor) and takes the user', async () => {
      const done = auth.init();
      const session = expectCall('GET', '/auth/session');
      expect(session.request.context.get(SKIP_SESSION_REFRESH)).toBe(true);
      session.flush({ user: aUser({ twoFactorEnabled: true }) });
      await done;
      expect(auth.isLoggedIn()).toBe(true);
      expect(auth.user()?.twoFactorEnabled).toBe(true);
    });

    it('{user: null} is "not logged in": no other request, no redirect, no message', async () => {
      const navigate = vi.spyOn(router, 'navigateByUrl');
      const done = auth.init();
      http.expectOne('/auth/session').flush({ user: null });
      await done;
      http.expectNone('/auth/me');
      http.expectNone('/auth/refresh');
      expect(auth.isLoggedIn()).toBe(false);
      expect(auth.notice()).toBeNull();
      expect(navigate).not.toHaveBeenCalled();
    });

    it('starts logged out, without throwing, when the API is down', async () => {
      const done = auth.init();
      http.expectOne('/auth/session').flush('Bad gateway', { status: 502, statusText: 'Bad Gateway' });
      await expect(done).resolves.toBeUndefined();
      expect(auth.isLoggedIn()).toBe(false);
    });

    it('starts logged out when the network fails', async () => {
      const done = auth.init();
      http.expectOne('/auth/session').error(new ProgressEvent('error'));
      await expect(done).resolves.toBeUndefined();
      expect(auth.isLoggedIn()).toBe(false);
    });
  });

  describe('session endpoints', () => {
    it('register: POST /auth/register → 201 {user} starts the session', async () => {
      const result = firstValueFrom(auth.register({ email: 'ada@example.com', password: 'correct horse battery' }));
      const req = expectCall('POST', '/auth/register');
      expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'correct horse battery' });
      req.flush({ user: aUser() }, { status: 201, statusText: 'Created' });
      expect((await result).user.email).toBe('ada@example.com');
      expect(auth.isLoggedIn()).toBe(true);
    });

    it('register: 409 EMAIL_TAKEN reaches the caller', async () => {
      const result = firstValueFrom(auth.register({ email: 'ada@example.com', password: 'x'.repeat(12) }));
      const { body, opts } = errorResponse(409, 'EMAIL_TAKEN');
      http.expectOne('/auth/register').flush(body, opts);
      await expect(result).rejects.toBeInstanceOf(HttpErrorResponse);
      expect(auth.isLoggedIn()).toBe(false);
    });

    it('login: {user} starts the session', async () => {
      const result = firstValueFrom(auth.login({ email: 'ada@example.com', password: 'pw' }));
      const req = expectCall('POST', '/auth/login');
      expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'pw' });
      req.flush({ user: aUser() });
      await result;
      expect(auth.isLoggedIn()).toBe(true);
      expect(auth.twoFactorPending()).toBe(false);
    });

    it('login: {requires2FA:true} marks the code step as pending (kept across a reload)', async () => {
      const result = firstValueFrom(auth.login({ email: 'ada@example.com', password: 'pw' }));
      http.expectOne('/auth/login').flush({ requires2FA: true });
      expect((await result).requires2FA).toBe(true);
      expect(auth.isLoggedIn()).toBe(false);
      expect(auth.twoFactorPending()).toBe(true);
      expect(Number(sessionStorage.getItem('twofa.pendingUntil'))).toBeGreaterThan(Date.now());
    });

    it('login: 401 INVALID_CREDENTIALS and 429 reach the caller', async () => {
      const a = firstValueFrom(auth.login({ email: 'a@b.c', password: 'pw' }));
      const bad = errorResponse(401, 'INVALID_CREDENTIALS');
      http.expectOne('/auth/login').flush(bad.body, bad.opts);
      await expect(a).rejects.toMatchObject({ status: 401 });
      const b = firstValueFrom(auth.login({ email: 'a@b.c', password: 'pw' }));
      const slow = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 60 });
      http.expectOne('/auth/login').flush(slow.body, slow.opts);
      await expect(b).rejects.toMatchObject({ status: 429 });
    });

    it('verifyLogin: sends {code} or {backupCode} and starts the session', async () => {
      const first = firstValueFrom(auth.verifyLogin({ code: '123456' }));
      const req = expectCall('POST', '/auth/2fa/verify-login');
      expect(req.request.body).toEqual({ code: '123456' });
      req.flush({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }) });
      await first;
      expect(auth.user()?.twoFactorEnabled).toBe(true);

      const second = firstValueFrom(auth.verifyLogin({ backupCode: 'abcd-efgh' }));
      const req2 = http.expectOne('/auth/2fa/verify-login');
      expect(req2.request.body).toEqual({ backupCode: 'abcd-efgh' });
      req2.flush({ message: '2FA verified', user: aUser() });
      await second;
      expect(auth.twoFactorPending()).toBe(false);
    });

    it('refresh: POST /auth/refresh, exempt from the refresh interceptor', async () => {
      const result = firstValueFrom(auth.refresh());
      const req = expectCall('POST', '/auth/refresh');
      expect(req.request.context.get(SKIP_SESSION_REFRESH)).toBe(true);
      req.flush({ user: aUser() });
      expect((await result)?.user?.id).toBe('u1');
    });

    it('me: GET /auth/me updates the user', async () => {
      const result = firstValueFrom(auth.me());
      expectCall('GET', '/auth/me').flush(aUser({ email: 'grace@example.com' }));
      await result;
      expect(auth.user()?.email).toBe('grace@example.com');
    });

    it('logout: POST /auth/logout clears the session, even if the call fails', async () => {
      signIn();
      const result = firstValueFrom(auth.logout());
      expectCall('POST', '/auth/logout').flush('boom', { status: 500, statusText: 'Server Error' });
      await expect(result).resolves.toBeUndefined();
      expect(auth.isLoggedIn()).toBe(false);
    });

    it('logoutAll: POST /auth/logout-all clears the session', async () => {
      signIn();
      const result = firstValueFrom(auth.logoutAll());
      expectCall('POST', '/auth/logout-all').flush({ message: 'Logged out everywhere' });
      await result;
      expect(auth.isLoggedIn()).toBe(false);
    });
  });

  it('updateUser: applies a change to the logged-in user only', () => {
    auth.updateUser({ twoFactorEnabled: true });
    expect(auth.user()).toBeNull();
    signIn();
    auth.updateUser({ twoFactorEnabled: true });
    expect(auth.user()).toEqual(aUser({ twoFactorEnabled: true }));
  });

  it('sends the XSRF cookie back in X-XSRF-TOKEN on state-changing calls only', () => {
    setXsrfCookie('token-1');
    auth.logout().subscribe();
    expect(http.expectOne('/auth/logout').request.headers.get('X-XSRF-TOKEN')).toBe('token-1');
    auth.me().subscribe();
    expect(http.expectOne('/auth/me').request.headers.has('X-XSRF-TOKEN')).toBe(false);
  });

  it('expireSession: clears the session and shows the message on /login', async () => {
    signIn();
    auth.expireSession();
    await tick();
    expect(auth.isLoggedIn()).toBe(false);
    expect(router.url).toBe('/login');
    expect(auth.takeNotice()).toBe(AUTH_MESSAGES.sessionExpired);
    expect(auth.takeNotice()).toBeNull();
  });

  it('only accepts in-app return URLs', () => {
    auth.rememberReturnUrl('/profile');
    expect(auth.takeReturnUrl()).toBe('/profile');
    expect(auth.takeReturnUrl()).toBe('/dashboard');
    for (const url of ['//evil.example', 'https://evil.example', '/\\evil', '/login', '/two-factor']) {
      auth.rememberReturnUrl(url);
      expect(auth.takeReturnUrl()).toBe('/dashboard');
    }
  });
});
