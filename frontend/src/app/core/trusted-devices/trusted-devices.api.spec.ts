import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { aTrustedDevice } from '../../../testing/fixtures';
import { errorResponse, provideTestApp, setXsrfCookie, signIn } from '../../../testing/test-utils';
import { TrustedDevicesApi } from './trusted-devices.api';

describe('TrustedDevicesApi', () => {
  let api: TrustedDevicesApi;
  let http: HttpTestingController;

  beforeEach(() => {
    setXsrfCookie('xsrf-2');
    TestBed.configureTestingModule({ providers: provideTestApp() });
    api = TestBed.inject(TrustedDevicesApi);
    http = TestBed.inject(HttpTestingController);
    signIn();
  });

  afterEach(() => {
    http.verify();
    setXsrfCookie(null);
  });

  it('list: GET /auth/trusted-devices', async () => {
    const result = firstValueFrom(api.list());
    const req = http.expectOne('/auth/trusted-devices');
    expect(req.request.method).toBe('GET');
    expect(req.request.withCredentials).toBe(true);
    req.flush({ devices: [aTrustedDevice({ current: true, lastUsedAt: null })] });
    expect(await result).toEqual([aTrustedDevice({ current: true, lastUsedAt: null })]);
  });

  it('forget: DELETE /auth/trusted-devices/:id with the XSRF header; 404 reaches the caller', async () => {
    const done = firstValueFrom(api.forget('d1'), { defaultValue: undefined });
    const req = http.expectOne('/auth/trusted-devices/d1');
    expect(req.request.method).toBe('DELETE');
    expect(req.request.headers.get('X-XSRF-TOKEN')).toBe('xsrf-2');
    req.flush(null, { status: 204, statusText: 'No Content' });
    await done;

    const gone = firstValueFrom(api.forget('d2'));
    const notFound = errorResponse(404, 'NOT_FOUND');
    http.expectOne('/auth/trusted-devices/d2').flush(notFound.body, notFound.opts);
    await expect(gone).rejects.toMatchObject({ status: 404 });
  });
});
