import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aUser, errorResponse, provideTestApp, setXsrfCookie, signIn } from '../../../testing/test-utils';
import { SessionStore } from '../auth/session.store';
import { TwoFactorApi } from './two-factor.api';

describe('TwoFactorApi', () => {
  let api: TwoFactorApi;
  let auth: SessionStore;
  let http: HttpTestingController;

  beforeEach(() => {
    sessionStorage.clear();
    setXsrfCookie(null);
    TestBed.configureTestingModule({ providers: provideTestApp() });
    api = TestBed.inject(TwoFactorApi);
    auth = TestBed.inject(SessionStore);
    http = TestBed.inject(HttpTestingController);
    signIn();
  });

  afterEach(() => http.verify());

  function expectCall(method: string, url: string): TestRequest {
    const req = http.expectOne(url);
    expect(req.request.method).toBe(method);
    expect(req.request.withCredentials).toBe(true);
    return req;
  }

  it('status: GET /auth/2fa/status', async () => {
    const result = firstValueFrom(api.status());
    expectCall('GET', '/auth/2fa/status').flush({ enabled: true, backupCodesRemaining: 7 });
    expect(await result).toEqual({ enabled: true, backupCodesRemaining: 7 });
  });

  it('setup: {} first, {password} after REAUTH_REQUIRED', async () => {
    const first = firstValueFrom(api.setup());
    const req = expectCall('POST', '/auth/2fa/setup');
    expect(req.request.body).toEqual({});
    const reauth = errorResponse(401, 'REAUTH_REQUIRED');
    req.flush(reauth.body, reauth.opts);
    await expect(first).rejects.toMatchObject({ status: 401, error: { code: 'REAUTH_REQUIRED' } });
    http.expectNone('/auth/refresh');

    const second = firstValueFrom(api.setup({ password: 'my password' }));
    const req2 = http.expectOne('/auth/2fa/setup');
    expect(req2.request.body).toEqual({ password: 'my password' });
    req2.flush({ secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/TwoFA:ada?secret=JBSWY3DPEHPK3PXP' });
    expect((await second).secret).toBe('JBSWY3DPEHPK3PXP');
  });

  it('enable: {token} only → backup codes; the user is now protected; a wrong code is refused', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `aaaa-bbb${i}`);
    const result = firstValueFrom(api.enable('123456'));
    const req = expectCall('POST', '/auth/2fa/enable');
    expect(req.request.body).toEqual({ token: '123456' });
    req.flush({ message: '2FA enabled', backupCodes: codes });
    expect((await result).backupCodes).toHaveLength(10);
    expect(auth.user()?.twoFactorEnabled).toBe(true);

    const wrongCode = firstValueFrom(api.enable('654321'));
    const req2 = http.expectOne('/auth/2fa/enable');
    expect(req2.request.body).toEqual({ token: '654321' });
    const invalid = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4 });
    req2.flush(invalid.body, invalid.opts);
    await expect(wrongCode).rejects.toMatchObject({ status: 400, error: { attemptsRemaining: 4 } });
  });

  it('disable: {password, code} or {password, backupCode}; a wrong password is not a session error', async () => {
    signIn(aUser({ twoFactorEnabled: true }));
    const byCode = firstValueFrom(api.disable({ password: 'pw', code: '123456' }));
    const req = expectCall('POST', '/auth/2fa/disable');
    expect(req.request.body).toEqual({ password: 'pw', code: '123456' });
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 4 });
    req.flush(wrong.body, wrong.opts);
    await expect(byCode).rejects.toMatchObject({ status: 401 });
    http.expectNone('/auth/refresh');
    expect(auth.user()?.twoFactorEnabled).toBe(true);

    const byBackupCode = firstValueFrom(api.disable({ password: 'pw', backupCode: 'abcd-efgh' }));
    const req2 = http.expectOne('/auth/2fa/disable');
    expect(req2.request.body).toEqual({ password: 'pw', backupCode: 'abcd-efgh' });
    req2.flush({ message: '2FA disabled' });
    await byBackupCode;
    expect(auth.user()?.twoFactorEnabled).toBe(false);
    expect(auth.isLoggedIn()).toBe(true);
  });

  it('backup codes: the password AND {code} or {backupCode}', async () => {
    const a = firstValueFrom(api.regenerateBackupCodes({ password: 'pw', code: '123456' }));
    const req = expectCall('POST', '/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ password: 'pw', code: '123456' });
    req.flush({ backupCodes: ['a'] });
    expect((await a).backupCodes).toEqual(['a']);
    const b = firstValueFrom(api.regenerateBackupCodes({ backupCode: 'abcd-efgh', password: 'pw' }));
    const req2 = http.expectOne('/auth/2fa/backup-codes');
    expect(req2.request.body).toEqual({ backupCode: 'abcd-efgh', password: 'pw' });
    req2.flush({ backupCodes: ['b'] });
    await b;
  });
});
