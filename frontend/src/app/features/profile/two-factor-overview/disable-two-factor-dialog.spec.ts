import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { SessionStore } from '../../../core/auth/session.store';
import { proofForm, useDialogStubs } from '../../../../testing/proof-dialog';
import { aUser, buttonByText, inputByLabel, provideTestApp, signIn, typeInto } from '../../../../testing/test-utils';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { DisableTwoFactorDialog } from './disable-two-factor-dialog';

describe('DisableTwoFactorDialog (password AND a code or a backup code)', () => {
  useDialogStubs();
  let http: HttpTestingController;
  let fixture: ComponentFixture<DisableTwoFactorDialog>;
  let el: HTMLElement;
  let disabled: number;
  let form: ReturnType<typeof proofForm>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(DisableTwoFactorDialog);
    el = fixture.nativeElement;
    form = proofForm(fixture, 'Turn off two-factor authentication');
    disabled = 0;
    fixture.componentInstance.disabled.subscribe(() => disabled++);
    fixture.componentInstance.open();
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

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

  it('sends {password, code} and closes on success', async () => {
    await form.fill('my password', '123 456');
    await form.submit();
    const req = http.expectOne('/auth/2fa/disable');
    expect(req.request.body).toEqual({ password: 'my password', code: '123456' });
    req.flush({ message: '2FA disabled' });
    await fixture.whenStable();
    expect(disabled).toBe(1);
    expect(el.querySelector('dialog')?.hasAttribute('open')).toBe(false);
    expect(TestBed.inject(SessionStore).user()?.twoFactorEnabled).toBe(false);
  });

  it('sends {password, backupCode} after "Use a backup code instead"', async () => {
    await form.useBackupCode();
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(buttonByText(el, 'Use a code from your app instead')).toBeTruthy();
    await form.fill('my password', 'ABCDEFGH', 'Backup code');
    await form.submit();
    const req = http.expectOne('/auth/2fa/disable');
    expect(req.request.body).toEqual({ password: 'my password', backupCode: 'ABCD-EFGH' });
    req.flush({ message: '2FA disabled' });
    await fixture.whenStable();
    expect(disabled).toBe(1);
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
