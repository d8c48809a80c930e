import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { TotpRemoved } from '../../../core/auth/api.types';
import { SessionStore } from '../../../core/auth/session.store';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, tick, typeInto } from '../../../../testing/test-utils';
import { proofForm, useDialogStubs } from '../../../../testing/proof-dialog';
import { RemoveTotpDialog } from './remove-totp-dialog';

const ASSERTION = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} };

describe('RemoveTotpDialog (POST /auth/2fa/totp/remove: password AND a second factor; the passkeys stay)', () => {
  useDialogStubs();
  let http: HttpTestingController;
  let fixture: ComponentFixture<RemoveTotpDialog>;
  let el: HTMLElement;
  let removed: TotpRemoved[];
  let form: ReturnType<typeof proofForm>;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [...provideTestApp(), { provide: WebAuthnClient, useValue: { get: async () => ASSERTION } }],
    });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(RemoveTotpDialog);
    fixture.componentRef.setInput('passkeys', 2);
    el = fixture.nativeElement;
    form = proofForm(fixture, 'Remove app');
    removed = [];
    fixture.componentInstance.removed.subscribe((r) => removed.push(r));
    fixture.componentInstance.open();
    await fixture.whenStable();
  });

  afterEach(() => {
    vi.useRealTimers();
    http.verify();
  });

  const dialog = () => el.querySelector<HTMLElement>('[data-testid="totp-remove-dialog"]')!;

  it('says the passkeys stay, asks for the password and a code, focuses the password', () => {
    expect(dialog().hasAttribute('open')).toBe(true);
    expect(dialog().textContent?.replace(/\s+/g, ' ')).toContain('Remove the authenticator app?');
    expect(dialog().textContent?.replace(/\s+/g, ' ')).toContain('so two-factor authentication stays on');
    expect(inputByLabel(el, 'Authentication code')?.id).toBe('totp-remove-code');
    expect(document.activeElement).toBe(inputByLabel(el, 'Password'));
    expect(buttonByText(el, 'Use a backup code instead')).toBeTruthy();
    expect(buttonByText(el, 'Use a passkey')).toBeTruthy();
  });

  it('sends nothing without the password and a well-formed code', async () => {
    await form.submit();
    http.expectNone('/auth/2fa/totp/remove');
    expect(alerts(el)).toEqual(['Enter your password.', 'The code is 6 digits, like 123456.']);
  });

  it('sends {password, code}; on success closes, hands over the answer and keeps 2FA on', async () => {
    await form.fill('pw', '123 456');
    await form.submit();
    const req = http.expectOne({ method: 'POST', url: '/auth/2fa/totp/remove' });
    expect(req.request.body).toEqual({ password: 'pw', code: '123456' });
    expect(buttonByText(el, 'Remove app').disabled).toBe(true);
    req.flush({ message: 'Authenticator app removed', twoFactorEnabled: true });
    await fixture.whenStable();
    expect(removed).toEqual([{ message: 'Authenticator app removed', twoFactorEnabled: true }]);
    expect(dialog().hasAttribute('open')).toBe(false);
    expect(TestBed.inject(SessionStore).user()?.twoFactorEnabled).toBe(true);
  });

  it('sends {password, backupCode} after the switch', async () => {
    await form.useBackupCode();
    await form.fill('pw', 'abcdefgh', 'Backup code');
    await form.submit();
    const req = http.expectOne('/auth/2fa/totp/remove');
    expect(req.request.body).toEqual({ password: 'pw', backupCode: 'abcd-efgh' });
    req.flush({ message: 'Authenticator app removed', twoFactorEnabled: true });
    await fixture.whenStable();
    expect(removed).toHaveLength(1);
  });

  it('"Use a passkey" sends {password, passkey}', async () => {
    typeInto(inputByLabel(el, 'Password'), 'pw');
    await fixture.whenStable();
    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cA', allowCredentials: [] });
    await tick();
    const req = http.expectOne('/auth/2fa/totp/remove');
    expect(req.request.body).toEqual({ password: 'pw', passkey: ASSERTION });
    req.flush({ message: 'Authenticator app removed', twoFactorEnabled: true });
    await fixture.whenStable();
    expect(removed).toHaveLength(1);
  });

  it('a wrong password and a refused code say so; a 429 blocks the buttons for the wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await form.fill('wrong', '123456');
    await form.submit();
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 3 });
    http.expectOne('/auth/2fa/totp/remove').flush(wrong.body, wrong.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Incorrect password. 3 attempts remaining.']);
    expect(inputByLabel(el, 'Password')!.value).toBe('');

    await form.fill('pw', '123456');
    await form.submit();
    const bad = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 2 });
    http.expectOne('/auth/2fa/totp/remove').flush(bad.body, bad.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['That code didn’t work. 2 attempts remaining.']);
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('');

    typeInto(inputByLabel(el, 'Authentication code'), '654321');
    await form.submit();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 600 });
    http.expectOne('/auth/2fa/totp/remove').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many attempts. Please wait 10 minutes before trying again.']);
    expect(buttonByText(el, 'Remove app').disabled).toBe(true);
    expect(buttonByText(el, 'Use a passkey').disabled).toBe(true);
    vi.advanceTimersByTime(600_000);
    await fixture.whenStable();
    expect(buttonByText(el, 'Remove app').disabled).toBe(false);
    expect(removed).toHaveLength(0);
  });
});
