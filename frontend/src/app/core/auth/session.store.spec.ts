import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { firstValueFrom } from 'rxjs';
import { aUser, provideTestApp, setXsrfCookie, signIn, tick } from '../../../testing/test-utils';
import { SKIP_SESSION_REFRESH } from './http-context';
import { AUTH_MESSAGES, SessionStore } from './session.store';

describe('SessionStore', () => {
  let store: SessionStore;
  let http: HttpTestingController;
  let router: Router;

  beforeEach(() => {
    sessionStorage.clear();
    setXsrfCookie(null);
    TestBed.configureTestingModule({ providers: provideTestApp() });
    store = TestBed.inject(SessionStore);
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
      const done = store.init();
      const session = expectCall('GET', '/auth/session');
      expect(session.request.context.get(SKIP_SESSION_REFRESH)).toBe(true);
      session.flush({ user: aUser({ twoFactorEnabled: true }) });
      await done;
      expect(store.isLoggedIn()).toBe(true);
      expect(store.user()?.twoFactorEnabled).toBe(true);
    });

    it('{user: null} is "not logged in": no other request, no redirect, no message', async () => {
      const navigate = vi.spyOn(router, 'navigateByUrl');
      const done = store.init();
      http.expectOne('/auth/session').flush({ user: null });
      await done;
      http.expectNone('/auth/me');
      http.expectNone('/auth/refresh');
      expect(store.isLoggedIn()).toBe(false);
      expect(store.notice()).toBeNull();
      expect(navigate).not.toHaveBeenCalled();
    });

    it('starts logged out, without throwing, when the API is down', async () => {
      const done = store.init();
      http.expectOne('/auth/session').flush('Bad gateway', { status: 502, statusText: 'Bad Gateway' });
      await expect(done).resolves.toBeUndefined();
      expect(store.isLoggedIn()).toBe(false);
    });

    it('starts logged out when the network fails', async () => {
      const done = store.init();
      http.expectOne('/auth/session').error(new ProgressEvent('error'));
      await expect(done).resolves.toBeUndefined();
      expect(store.isLoggedIn()).toBe(false);
    });
  });

  it('me: GET /auth/me updates the user', async () => {
    const result = firstValueFrom(store.me());
    expectCall('GET', '/auth/me').flush(aUser({ email: 'grace@example.com' }));
    await result;
    expect(store.user()?.email).toBe('grace@example.com');
  });

  it('me: no XSRF header on a GET', () => {
    setXsrfCookie('token-1');
    store.me().subscribe();
    expect(http.expectOne('/auth/me').request.headers.has('X-XSRF-TOKEN')).toBe(false);
  });

  it('start bumps the session generation and clears the notice; onChange listeners hear start and clear', () => {
    const heard = vi.fn();
    store.onChange(heard);
    store.setNotice('hello');
    const before = store.sessionGeneration;
    store.start(aUser());
    expect(store.sessionGeneration).toBe(before + 1);
    expect(store.notice()).toBeNull();
    store.clear();
    expect(store.isLoggedIn()).toBe(false);
    expect(heard).toHaveBeenCalledTimes(2);
  });

  it('updateUser: applies a change to the logged-in user only', () => {
    store.updateUser({ twoFactorEnabled: true });
    expect(store.user()).toBeNull();
    signIn();
    store.updateUser({ twoFactorEnabled: true });
    expect(store.user()).toEqual(aUser({ twoFactorEnabled: true }));
  });

  it('expire: clears the session and shows the message on /login', async () => {
    signIn();
    store.expire();
    await tick();
    expect(store.isLoggedIn()).toBe(false);
    expect(router.url).toBe('/login');
    expect(store.takeNotice()).toBe(AUTH_MESSAGES.sessionExpired);
    expect(store.takeNotice()).toBeNull();
  });

  it('only accepts in-app return URLs', () => {
    store.rememberReturnUrl('/profile');
    expect(store.takeReturnUrl()).toBe('/profile');
    expect(store.takeReturnUrl()).toBe('/dashboard');
    for (const url of ['//evil.example', 'https://evil.example', '/\\evil', '/login', '/two-factor']) {
      store.rememberReturnUrl(url);
      expect(store.takeReturnUrl()).toBe('/dashboard');
    }
  });
});
