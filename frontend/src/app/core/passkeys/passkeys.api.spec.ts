import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { provideTestApp, setXsrfCookie } from '../../../testing/test-utils';
import { PasskeysApi } from './passkeys.api';

describe('PasskeysApi', () => {
  let api: PasskeysApi;
  let http: HttpTestingController;

  beforeEach(() => {
    setXsrfCookie('xsrf-1');
    TestBed.configureTestingModule({ providers: provideTestApp() });
    api = TestBed.inject(PasskeysApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    setXsrfCookie(null);
  });

  it('lists, asks for options (with the password only when given), adds, renames, removes, asks for proof options', async () => {
    const list = firstValueFrom(api.list());
    http.expectOne('/auth/2fa/passkeys').flush({ passkeys: [] });
    expect(await list).toEqual([]);

    api.registrationOptions().subscribe();
    api.registrationOptions({ password: 'pw' }).subscribe();
    api.registrationOptions({ password: 'pw', code: '123456' }).subscribe();
    api.registrationOptions({ enrolmentToken: 't', password: 'pw' }).subscribe();
    const reqs = http.match('/auth/2fa/passkeys/registration-options');
    expect(reqs.map((r) => r.request.body)).toEqual([{}, { password: 'pw' }, { password: 'pw', code: '123456' }, { enrolmentToken: 't', password: 'pw' }]);
    expect(reqs[0].request.headers.get('X-XSRF-TOKEN')).toBe('xsrf-1');
    for (const r of reqs) r.flush({});

    const response = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} } as never;
    api.add('Key', response).subscribe();
    expect(http.expectOne({ method: 'POST', url: '/auth/2fa/passkeys' }).request.body).toEqual({ name: 'Key', response });

    api.rename('id/1', 'New').subscribe();
    http.expectOne({ method: 'PATCH', url: '/auth/2fa/passkeys/id%2F1' }).flush({ passkey: {} });

    api.remove('p1', { password: 'pw', backupCode: 'abcd-efgh' }).subscribe();
    expect(http.expectOne('/auth/2fa/passkeys/p1/remove').request.body).toEqual({ password: 'pw', backupCode: 'abcd-efgh' });

    api.proofOptions().subscribe();
    expect(http.expectOne('/auth/2fa/passkeys/proof-options').request.method).toBe('POST');
  });
});
