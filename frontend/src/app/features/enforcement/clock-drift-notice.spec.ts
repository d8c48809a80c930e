import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom } from 'rxjs';
import { LoginFlow } from '../../core/auth/login-flow';
import { aUser, buttonByText, provideTestApp } from '../../../testing/test-utils';
import { ClockDriftNoticeBanner } from './clock-drift-notice';

describe('ClockDriftNoticeBanner (after a login whose refused codes showed drift)', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function verifyLoginAnswering(answer: object): Promise<void> {
    const flow = TestBed.inject(LoginFlow);
    const login = firstValueFrom(flow.login({ email: 'ada@example.com', password: 'pw' }));
    http.expectOne('/auth/login').flush({ requires2FA: true, methods: ['totp'] });
    await login;
    const done = firstValueFrom(flow.verifyLogin({ code: '123456' }));
    http.expectOne('/auth/2fa/verify-login').flush(answer);
    await done;
  }

  it('a verify-login answer with clockDrift shows a dismissible notice on the page the user lands on', async () => {
    await verifyLoginAnswering({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }), clockDrift: { driftSeconds: -120 } });
    const fixture = TestBed.createComponent(ClockDriftNoticeBanner);
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(el.querySelector('[data-testid="clock-drift-notice"]')?.textContent).toContain(
      'Your authenticator’s clock is about 2 minutes slow: set the phone’s time to automatic.',
    );
    buttonByText(el, 'Dismiss').click();
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="clock-drift-notice"]')).toBeNull();
  });


  it('no clockDrift in the answer: no notice', async () => {
    await verifyLoginAnswering({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }) });
    const fixture = TestBed.createComponent(ClockDriftNoticeBanner);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="clock-drift-notice"]')).toBeNull();
  });
});
