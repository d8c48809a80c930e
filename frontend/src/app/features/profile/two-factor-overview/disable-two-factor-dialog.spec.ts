import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionStore } from '../../../core/auth/session.store';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../../testing/test-utils';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { DisableTwoFactorDialog } from './disable-two-factor-dialog';

describe('DisableTwoFactorDialog (password AND a code or a backup code)', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<DisableTwoFactorDialog>;
  let el: HTMLElement;
  let disabled: number;
  const dialogProto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;

  beforeEach(async () => {
    dialogProto['showModal'] = vi.fn(function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    });
    dialogProto['close'] = vi.fn(function (this: HTMLDialogElement) {
      this.removeAttribute('open');
      this.dispatchEvent(new Event('close'));
    });
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(DisableTwoFactorDialog);
    el = fixture.nativeElement;
    disabled = 0;
    fixture.componentInstance.disabled.subscribe(() => disabled++);
    fixture.componentInstance.open();
    await fixture.whenStable();
  });

  afterEach(() => {
    vi.useRealTimers();
    delete dialogProto['showModal'];
    delete dialogProto['close'];
    http.verify();
  });

  async function fill(password: string, code: string, label = 'Authentication code'): Promise<void> {
    typeInto(inputByLabel(el, 'Password'), password);
    typeInto(inputByLabel(el, label), code);
    await fixture.whenStable();
  }

  async function submit(): Promise<void> {
    buttonByText(el, 'Turn off two-factor authentication').click();
    await fixture.whenStable();
  }

  it('asks for the password and a code, and focuses the password first', () => {
    expect(inputByLabel(el, 'Password')).not.toBeNull();
    const code = inputByLabel(el, 'Authentication code')!;
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(code.getAttribute('inputmode')).toBe('numeric');
    expect(document.activeElement).toBe(inputByLabel(el, 'Password'));
    expect(el.querySelector('[data-testid="disable-dialog"]')?.textContent?.replace(/\s+/g, ' ')).toContain(
      'Confirm with your password and a current code from your authenticator app.',
    );
  });

  it('sends nothing until both parts are there', async () => {
    typeInto(inputByLabel(el, 'Password'), 'pw');
    await submit();
    http.expectNone('/auth/2fa/disable');
    expect(alerts(el)).toEqual(['The code is 6 digits, like 123456.']);
    typeInto(inputByLabel(el, 'Password'), '');
    typeInto(inputByLabel(el, 'Authentication code'), '123456');
    await submit();
    http.expectNone('/auth/2fa/disable');
    expect(alerts(el)).toEqual(['Enter your password.']);
  });

  it('sends {password, code} and closes on success', async () => {
    await fill('my password', '123 456');
    await submit();
    const req = http.expectOne('/auth/2fa/disable');
    expect(req.request.body).toEqual({ password: 'my password', code: '123456' });
    req.flush({ message: '2FA disabled' });
    await fixture.whenStable();
    expect(disabled).toBe(1);
    expect(el.querySelector('dialog')?.hasAttribute('open')).toBe(false);
    expect(TestBed.inject(SessionStore).user()?.twoFactorEnabled).toBe(false);
  });

  it('sends {password, backupCode} after "Use a backup code instead"', async () => {
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(buttonByText(el, 'Use a code from your app instead')).toBeTruthy();
    await fill('my password', 'ABCDEFGH', 'Backup code');
    await submit();
    const req = http.expectOne('/auth/2fa/disable');
    expect(req.request.body).toEqual({ password: 'my password', backupCode: 'ABCD-EFGH' });
    req.flush({ message: '2FA disabled' });
    await fixture.whenStable();
    expect(disabled).toBe(1);
  });

  it('INVALID_PASSWORD: says so with the attempts left, clears the password only', async () => {
    await fill('wrong', '123456');
    await submit();
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 3 });
    http.expectOne('/auth/2fa/disable').flush(wrong.body, wrong.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Incorrect password. 3 attempts remaining.']);
    expect(inputByLabel(el, 'Password')!.value).toBe('');
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('123456');
    expect(document.activeElement).toBe(inputByLabel(el, 'Password'));
    expect(disabled).toBe(0);
  });

  it('INVALID_CODE with reason "replay": asks for the next code and clears it', async () => {
    await fill('pw', '123456');
    await submit();
    const replay = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 2, reason: 'replay', retryInSeconds: 12 });
    http.expectOne('/auth/2fa/disable').flush(replay.body, replay.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['This code was already used. Wait for the next one (about 12 s). 2 attempts remaining.']);
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('');
    expect(inputByLabel(el, 'Password')!.value).toBe('pw');
    expect(document.activeElement).toBe(inputByLabel(el, 'Authentication code'));
  });

  it('TOO_MANY_ATTEMPTS: shows the wait and blocks the button until Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await fill('pw', '123456');
    await submit();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 600 });
    http.expectOne('/auth/2fa/disable').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many attempts. Please wait 10 minutes before trying again.']);
    const button = buttonByText(el, 'Turn off two-factor authentication');
    expect(button.disabled).toBe(true);
    vi.advanceTimersByTime(600_000);
    await fixture.whenStable();
    expect(button.disabled).toBe(false);
  });

  it('a backup code already used says so', async () => {
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    await fill('pw', 'abcd-efgh', 'Backup code');
    await submit();
    const used = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4, reason: 'backup_code_used' });
    http.expectOne('/auth/2fa/disable').flush(used.body, used.opts);
    await fixture.whenStable();
    expect(alerts(el)[0]).toContain('That backup code was already used');
    expect(inputByLabel(el, 'Backup code')!.value).toBe('');
  });

  it('buttons wait while the request runs', async () => {
    await fill('pw', '123456');
    await submit();
    expect(buttonByText(el, 'Turn off two-factor authentication').disabled).toBe(true);
    expect(buttonByText(el, 'Cancel').disabled).toBe(true);
    expect(buttonByText(el, 'Use a backup code instead').disabled).toBe(true);
    http.expectOne('/auth/2fa/disable').flush({ message: '2FA disabled' });
    await fixture.whenStable();
  });

  it('a passkey-only account: a backup code by default, no app toggle, and "Use a passkey" sends {password, passkey}', async () => {
    const assertion = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} };
    const webauthn = TestBed.inject(WebAuthnClient);
    webauthn.get = async () => assertion as never;
    fixture.componentInstance.close();
    fixture.componentRef.setInput('totp', false);
    fixture.componentRef.setInput('passkeys', 1);
    fixture.componentInstance.open();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(inputByLabel(el, 'Backup code')).not.toBeNull();
    expect(() => buttonByText(el, 'Use a code from your app instead')).toThrow();
    expect(el.textContent).toContain('Your passkeys and security keys will be removed too.');

    typeInto(inputByLabel(el, 'Password'), 'pw');
    await fixture.whenStable();
    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cA', allowCredentials: [] });
    await new Promise((resolve) => setTimeout(resolve));
    const req = http.expectOne('/auth/2fa/disable');
    expect(req.request.body).toEqual({ password: 'pw', passkey: assertion });
    req.flush({ message: '2FA disabled' });
    await fixture.whenStable();
    expect(disabled).toBe(1);
  });
});
