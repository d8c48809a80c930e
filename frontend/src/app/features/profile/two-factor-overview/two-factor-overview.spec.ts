import { HttpTestingController } from '@angular/common/http/testing';
import { Component, input } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { QRCodeComponent } from 'angularx-qrcode';
import { useDialogStubs } from '../../../../testing/proof-dialog';
import { aUser, buttonByText, inputByLabel, provideTestApp, signIn, typeInto } from '../../../../testing/test-utils';
import { TotpSetup } from '../totp-setup/totp-setup';
import { TotpSetupStore } from '../totp-setup/totp-setup.store';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { TwoFactorOverview } from './two-factor-overview';

@Component({ selector: 'qrcode', template: '<img alt="QR code" />' })
class FakeQrCode {
  readonly qrdata = input('');
  readonly width = input(0);
  readonly margin = input(0);
  readonly errorCorrectionLevel = input('');
  readonly elementType = input('');
  readonly colorDark = input('');
  readonly colorLight = input('');
  readonly alt = input('');
}

describe('TwoFactorOverview', () => {
  useDialogStubs();
  let fixture: ComponentFixture<TwoFactorOverview>;
  let el: HTMLElement;
  let http: HttpTestingController;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: [...provideTestApp(), TwoFactorStatusStore, TotpSetupStore] }).overrideComponent(TotpSetup, {
      remove: { imports: [QRCodeComponent] },
      add: { imports: [FakeQrCode] },
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function create(status: object): Promise<void> {
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(TwoFactorOverview);
    el = fixture.nativeElement;
    http.expectOne('/auth/2fa/status').flush(status);
    await fixture.whenStable();
  }

  const hint = () => el.querySelector('[data-testid="twofa-login-hint"]')?.textContent?.replace(/\s+/g, ' ').trim();

  it('on with a passkey only: says so, and offers to add the authenticator app (no new backup codes)', async () => {
    await create({ enabled: true, totp: false, passkeys: 1, backupCodesRemaining: 10 });
    expect(el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim()).toBe('On');
    expect(hint()).toContain('You’ll be asked for your passkey or security key each time you log in.');
    const changed = vi.fn();
    fixture.componentInstance.changed.subscribe(changed);

    // Adding the app to a passkey account: the password AND a second factor, before anything is sent (rule 7).
    buttonByText(el, 'Set up an authenticator app').click();
    await fixture.whenStable();
    http.expectNone('/auth/2fa/setup');
    const dialog = el.querySelector<HTMLDialogElement>('[data-testid="add-totp-dialog"]')!;
    expect(dialog.hasAttribute('open')).toBe(true);
    typeInto(inputByLabel(dialog, 'Password'), 'pw');
    typeInto(inputByLabel(dialog, 'Backup code'), 'abcd-efgh');
    await fixture.whenStable();
    buttonByText(dialog, 'Continue').click();
    const setup = http.expectOne('/auth/2fa/setup');
    expect(setup.request.body).toEqual({ password: 'pw', backupCode: 'abcd-efgh' });
    setup.flush({ secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/x' });
    await fixture.whenStable();
    expect(dialog.hasAttribute('open')).toBe(false);
    expect(el.querySelector('[data-testid="manual-key"]')?.textContent?.trim()).toBe('JBSW Y3DP EHPK 3PXP');
    const code = inputByLabel(el, 'Authentication code')!;
    code.value = '123456';
    code.dispatchEvent(new Event('input'));
    buttonByText(el, 'Verify and enable').click();
    const enable = http.expectOne('/auth/2fa/enable');
    expect(enable.request.body).toEqual({ token: '123456' });
    enable.flush({ message: '2FA enabled' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="manual-key"]')).toBeNull();
    expect(el.querySelector('[data-testid="backup-codes"]')).toBeNull();
    expect(changed).toHaveBeenCalledTimes(1);
    expect(hint()).toContain('a code from your authenticator app or one of your passkeys');
  });

  it('on with TOTP only keeps the old wording and no "Set up an authenticator app"', async () => {
    await create({ enabled: true, totp: true, passkeys: 0, backupCodesRemaining: 10 });
    expect(hint()).toContain('You’ll be asked for a code from your authenticator app each time you log in.');
    expect(() => buttonByText(el, 'Set up an authenticator app')).toThrow();
    // The app is the only factor: "Disable" covers removing it.
    expect(() => buttonByText(el, 'Remove authenticator app')).toThrow();
  });

  it('a passkey-only account is not offered "Remove authenticator app"', async () => {
    await create({ enabled: true, totp: false, passkeys: 2, backupCodesRemaining: 10 });
    expect(() => buttonByText(el, 'Remove authenticator app')).toThrow();
  });

  it('with the app AND a passkey: "Remove authenticator app" removes only the app; the status reloads, 2FA stays on', async () => {
    const dialogProto = HTMLDialogElement.prototype as unknown as Record<string, unknown>;
    dialogProto['showModal'] = function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    };
    dialogProto['close'] = function (this: HTMLDialogElement) {
      this.removeAttribute('open');
      this.dispatchEvent(new Event('close'));
    };
    try {
      await create({ enabled: true, totp: true, passkeys: 1, backupCodesRemaining: 7 });
      const changed = vi.fn();
      fixture.componentInstance.changed.subscribe(changed);
      buttonByText(el, 'Remove authenticator app').click();
      await fixture.whenStable();
      const dialog = el.querySelector<HTMLElement>('[data-testid="totp-remove-dialog"]')!;
      expect(dialog.hasAttribute('open')).toBe(true);
      typeInto(inputByLabel(dialog, 'Password'), 'pw');
      typeInto(inputByLabel(dialog, 'Authentication code'), '123456');
      await fixture.whenStable();
      buttonByText(dialog, 'Remove app').click();
      const req = http.expectOne('/auth/2fa/totp/remove');
      expect(req.request.body).toEqual({ password: 'pw', code: '123456' });
      req.flush({ message: 'Authenticator app removed', twoFactorEnabled: true });
      await fixture.whenStable();
      http.expectOne('/auth/2fa/status').flush({ enabled: true, totp: false, passkeys: 1, backupCodesRemaining: 7 });
      await fixture.whenStable();
      const status = TestBed.inject(TwoFactorStatusStore);
      expect([status.enabled(), status.totp(), status.passkeys()]).toEqual([true, false, 1]);
      expect(status.notice()).toBe('Authenticator app removed');
      expect(el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim()).toBe('On');
      expect(hint()).toContain('You’ll be asked for your passkey or security key each time you log in.');
      expect(() => buttonByText(el, 'Remove authenticator app')).toThrow();
      expect(buttonByText(el, 'Set up an authenticator app')).toBeTruthy();
      expect(changed).toHaveBeenCalledTimes(1);
    } finally {
      delete dialogProto['showModal'];
      delete dialogProto['close'];
    }
  });

  it('new backup codes from anywhere (a first passkey) are shown here once', async () => {
    await create({ enabled: false, totp: false, passkeys: 0, backupCodesRemaining: 0 });
    TestBed.inject(TwoFactorStatusStore).factorAdded('passkey', ['aaaa-bbbb', 'cccc-dddd']);
    await fixture.whenStable();
    expect(el.querySelectorAll('[data-testid="backup-codes"] li')).toHaveLength(2);
    buttonByText(el, 'I saved them').click();
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="backup-codes"]')).toBeNull();
    expect(el.querySelector('[data-testid="backup-codes-remaining"]')?.textContent?.trim()).toBe('Backup codes left: 2.');
  });
});
