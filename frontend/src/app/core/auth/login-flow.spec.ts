import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aUser, errorResponse, provideTestApp, setXsrfCookie } from '../../../testing/test-utils';
import { LoginFlow } from './login-flow';
import { SessionStore } from './session.store';

describe('LoginFlow (password step → code step → done)', () => {
  let flow: LoginFlow;
  let store: SessionStore;
  let http: HttpTestingController;

  beforeEach(() => {
    sessionStorage.clear();
    setXsrfCookie(null);
    TestBed.configureTestingModule({ providers: provideTestApp() });
    flow = TestBed.inject(LoginFlow);
    store = TestBed.inject(SessionStore);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function loginAnswering(answer: object): Promise<void> {
    const result = firstValueFrom(flow.login({ email: 'ada@example.com', password: 'pw' }));
    http.expectOne('/auth/login').flush(answer);
    await result;
  }

  it('login: {user} starts the session', async () => {
    expect(flow.step()).toBe('password');
    const result = firstValueFrom(flow.login({ email: 'ada@example.com', password: 'pw' }));
    const req = http.expectOne('/auth/login');
    expect(req.request.method).toBe('POST');
    expect(req.request.withCredentials).toBe(true);
    expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'pw' });
    req.flush({ user: aUser() });
    await result;
    expect(store.isLoggedIn()).toBe(true);
    expect(flow.twoFactorPending()).toBe(false);
    expect(flow.step()).toBe('done');
  });

  it('login: {requires2FA:true, methods} marks the code step as pending with its methods (kept across a reload)', async () => {
    await loginAnswering({ requires2FA: true, methods: ['passkey', 'backup_code'] });
    expect(store.isLoggedIn()).toBe(false);
    expect(flow.twoFactorPending()).toBe(true);
    expect(flow.step()).toBe('code');
    expect(flow.methods()).toEqual(['passkey', 'backup_code']);
    expect(Number(sessionStorage.getItem('twofa.pendingUntil'))).toBeGreaterThan(Date.now());

    // A reload of the tab: a new LoginFlow reads the same state.
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({ providers: provideTestApp() });
    const again = TestBed.inject(LoginFlow);
    expect(again.step()).toBe('code');
    expect(again.methods()).toEqual(['passkey', 'backup_code']);
  });

  it('login: without methods (an older API), or with unknown ones, offers the authenticator app and backup codes', async () => {
    await loginAnswering({ requires2FA: true });
    expect(flow.methods()).toEqual(['totp', 'backup_code']);
    await loginAnswering({ requires2FA: true, methods: ['carrier-pigeon'] });
    expect(flow.methods()).toEqual(['totp', 'backup_code']);
  });

  it('login: 401 INVALID_CREDENTIALS and 429 reach the caller', async () => {
    const a = firstValueFrom(flow.login({ email: 'a@b.c', password: 'pw' }));
    const bad = errorResponse(401, 'INVALID_CREDENTIALS');
    http.expectOne('/auth/login').flush(bad.body, bad.opts);
    await expect(a).rejects.toMatchObject({ status: 401 });
    const b = firstValueFrom(flow.login({ email: 'a@b.c', password: 'pw' }));
    const slow = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 60 });
    http.expectOne('/auth/login').flush(slow.body, slow.opts);
    await expect(b).rejects.toMatchObject({ status: 429 });
  });

  it('verifyLogin: sends {code}, {backupCode} or {passkey} and starts the session', async () => {
    await loginAnswering({ requires2FA: true, methods: ['totp', 'passkey', 'backup_code'] });
    const first = firstValueFrom(flow.verifyLogin({ code: '123456' }));
    const req = http.expectOne('/auth/2fa/verify-login');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ code: '123456' });
    req.flush({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }) });
    await first;
    expect(store.user()?.twoFactorEnabled).toBe(true);
    expect(flow.twoFactorPending()).toBe(false);
    expect(sessionStorage.getItem('twofa.pendingUntil')).toBeNull();
    expect(sessionStorage.getItem('twofa.pendingMethods')).toBeNull();

    const second = firstValueFrom(flow.verifyLogin({ backupCode: 'abcd-efgh' }));
    const req2 = http.expectOne('/auth/2fa/verify-login');
    expect(req2.request.body).toEqual({ backupCode: 'abcd-efgh' });
    req2.flush({ message: '2FA verified', user: aUser() });
    await second;

    const passkey = { id: 'cred', rawId: 'cred', type: 'public-key', response: {}, clientExtensionResults: {} } as never;
    const third = firstValueFrom(flow.verifyLogin({ passkey, rememberDevice: true }));
    const req3 = http.expectOne('/auth/2fa/verify-login');
    expect(req3.request.body).toEqual({ passkey, rememberDevice: true });
    req3.flush({ message: '2FA verified', user: aUser() });
    await third;
  });

  it('passkeyOptions: POST /auth/2fa/passkey-options (the login challenge cookie, no refresh on 401)', async () => {
    const result = firstValueFrom(flow.passkeyOptions());
    const req = http.expectOne('/auth/2fa/passkey-options');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({});
    const expired = errorResponse(401, 'SESSION_EXPIRED');
    req.flush(expired.body, expired.opts);
    http.expectNone('/auth/refresh');
    await expect(result).rejects.toMatchObject({ status: 401 });
  });

  it('abandon, logout and a new session forget the pending code step', async () => {
    await loginAnswering({ requires2FA: true });
    flow.abandon();
    expect(flow.step()).toBe('password');
    await loginAnswering({ requires2FA: true });
    store.clear();
    expect(flow.twoFactorPending()).toBe(false);
  });

  it('a passkey alone: options with no user named, then the assertion starts the session (no code step)', async () => {
    const options = firstValueFrom(flow.passkeyLoginOptions());
    const optionsReq = http.expectOne('/auth/passkey/options');
    expect([optionsReq.request.method, optionsReq.request.body]).toEqual(['POST', {}]);
    optionsReq.flush({ challenge: 'Y2g', allowCredentials: [], userVerification: 'required' });
    expect((await options).allowCredentials).toEqual([]);

    const response = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} } as never;
    const result = firstValueFrom(flow.loginWithPasskey(response));
    const login = http.expectOne('/auth/passkey/login');
    expect(login.request.body).toEqual({ response });
    expect(login.request.withCredentials).toBe(true);
    login.flush({ user: aUser() });
    await result;
    expect(store.isLoggedIn()).toBe(true);
    expect(flow.step()).toBe('done');
  });

  it('a refused passkey starts no session and asks for no refresh', async () => {
    const result = firstValueFrom(flow.loginWithPasskey({} as never)).catch((e: unknown) => e);
    const failed = errorResponse(400, 'PASSKEY_FAILED', { reason: 'user_verification' });
    http.expectOne('/auth/passkey/login').flush(failed.body, failed.opts);
    await result;
    http.expectNone('/auth/refresh');
    expect(store.isLoggedIn()).toBe(false);
  });
});
