import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aUser, errorResponse, provideTestApp, signIn, tick } from '../../../testing/test-utils';
import { SKIP_SESSION_REFRESH } from './http-context';
import { SessionRefresh } from './session-refresh';
import { SessionStore } from './session.store';

describe('SessionRefresh', () => {
  let refresher: SessionRefresh;
  let store: SessionStore;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    refresher = TestBed.inject(SessionRefresh);
    store = TestBed.inject(SessionStore);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('refresh: POST /auth/refresh, exempt from the refresh interceptor', async () => {
    const result = firstValueFrom(refresher.refresh());
    const req = http.expectOne('/auth/refresh');
    expect(req.request.method).toBe('POST');
    expect(req.request.withCredentials).toBe(true);
    expect(req.request.context.get(SKIP_SESSION_REFRESH)).toBe(true);
    req.flush({ user: aUser() });
    expect((await result)?.user?.id).toBe('u1');
  });

  it('refreshSession: concurrent callers share one refresh; it bumps the generation', async () => {
    signIn();
    const seen = store.sessionGeneration;
    const a = firstValueFrom(refresher.refreshSession(seen));
    const b = firstValueFrom(refresher.refreshSession(seen));
    http.expectOne('/auth/refresh').flush({ user: aUser({ email: 'new@example.com' }) });
    await Promise.all([a, b]);
    expect(store.sessionGeneration).toBe(seen + 1);
    expect(store.user()?.email).toBe('new@example.com');
    // A request sent before that refresh just retries: no second refresh.
    await firstValueFrom(refresher.refreshSession(seen));
    http.expectNone('/auth/refresh');
  });

  it('a failed refresh ends the session once; later 401s of that generation fail at once', async () => {
    signIn();
    const seen = store.sessionGeneration;
    const first = firstValueFrom(refresher.refreshSession(seen));
    const bad = errorResponse(401, 'UNAUTHENTICATED');
    http.expectOne('/auth/refresh').flush(bad.body, bad.opts);
    await expect(first).rejects.toBeTruthy();
    await tick();
    expect(store.isLoggedIn()).toBe(false);
    await expect(firstValueFrom(refresher.refreshSession(seen))).rejects.toBeTruthy();
    http.expectNone('/auth/refresh');
  });
});
