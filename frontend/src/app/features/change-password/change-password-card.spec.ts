import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../testing/test-utils';
import { WebAuthnClient } from '../../core/passkeys/webauthn-client';
import { ChangePasswordCard, PASSWORD_CHANGED_NOTICE } from './change-password-card';

const NEW = 'violet tractor sings at midnight';

describe('ChangePasswordCard', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<ChangePasswordCard>;
  let el: HTMLElement;
  let changed: number;

  async function create(twoFactorEnabled: boolean, factors: { totp: boolean; passkeys: number } = { totp: true, passkeys: 0 }): Promise<void> {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled }));
    fixture = TestBed.createComponent(ChangePasswordCard);
    fixture.componentRef.setInput('twoFactorEnabled', twoFactorEnabled);
    fixture.componentRef.setInput('totp', factors.totp);
    fixture.componentRef.setInput('passkeys', factors.passkeys);
    el = fixture.nativeElement;
    changed = 0;
    fixture.componentInstance.changed.subscribe(() => changed++);
    await fixture.whenStable();
    buttonByText(el, 'Change password').click();
    await fixture.whenStable();
  }

  afterEach(() => http.verify());

  async function fill(current: string, next: string, code?: string): Promise<void> {
    typeInto(inputByLabel(el, 'Current password'), current);
    typeInto(inputByLabel(el, 'New password'), next);
    if (code !== undefined) typeInto(inputByLabel(el, 'Authentication code'), code);
    await fixture.whenStable();
    buttonByText(el, 'Save new password').click();
    await fixture.whenStable();
  }

  it('without 2FA: asks no code and sends {currentPassword, newPassword}', async () => {
    await create(false);
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    await fill('old password here', NEW);
    const req = http.expectOne('/auth/password/change');
    expect(req.request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW });
    req.flush({ message: 'Password changed', user: aUser() });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="password-changed"]')?.textContent?.trim()).toBe(PASSWORD_CHANGED_NOTICE);
    expect(changed).toBe(1);
  });

  it('with 2FA: the code is required, and a backup code can be used instead', async () => {
    await create(true);
    await fill('old password here', NEW, '');
    expect(alerts(el)).toContain('The code is 6 digits, like 123456.');
    http.expectNone('/auth/password/change');

    typeInto(inputByLabel(el, 'Authentication code'), '123 456');
    await fixture.whenStable();
    buttonByText(el, 'Save new password').click();
    await fixture.whenStable();
    const first = http.expectOne('/auth/password/change');
    expect(first.request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW, code: '123456' });
    first.flush({ message: 'Password changed', user: aUser({ twoFactorEnabled: true }) });
    await fixture.whenStable();

    buttonByText(el, 'Change password').click();
    await fixture.whenStable();
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    typeInto(inputByLabel(el, 'Current password'), 'old password here');
    typeInto(inputByLabel(el, 'New password'), NEW);
    typeInto(inputByLabel(el, 'Backup code'), 'ABCD-EFGH');
    await fixture.whenStable();
    buttonByText(el, 'Save new password').click();
    await fixture.whenStable();
    expect(http.expectOne('/auth/password/change').request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW, backupCode: 'ABCD-EFGH' });
  });

  it('a wrong current password says so with the attempts left', async () => {
    await create(false);
    await fill('wrong password', NEW);
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 3 });
    http.expectOne('/auth/password/change').flush(wrong.body, wrong.opts);
    await fixture.whenStable();
    http.expectNone('/auth/refresh');
    expect(alerts(el)[0]).toMatch(/^Your current password is incorrect\./);
    expect(alerts(el)[0]).toContain('3');
    expect(changed).toBe(0);
  });

  it('with a passkey: "Use a passkey" checks both passwords first, then sends {currentPassword, newPassword, passkey}', async () => {
    const assertion = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} };
    await create(true, { totp: false, passkeys: 1 });
    TestBed.inject(WebAuthnClient).get = async () => assertion as never;
    expect(inputByLabel(el, 'Authentication code')).toBeNull(); // no app on this account
    expect(inputByLabel(el, 'Backup code')).not.toBeNull();
    expect(() => buttonByText(el, 'Use a code from your app instead')).toThrow();

    buttonByText(el, 'Use a passkey').click();
    await fixture.whenStable();
    http.expectNone('/auth/2fa/passkeys/proof-options');
    expect(alerts(el)).toContain('Enter your current password.');

    typeInto(inputByLabel(el, 'Current password'), 'old password here');
    typeInto(inputByLabel(el, 'New password'), NEW);
    await fixture.whenStable();
    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cA', allowCredentials: [] });
    await new Promise((resolve) => setTimeout(resolve));
    const req = http.expectOne('/auth/password/change');
    expect(req.request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW, passkey: assertion });
    req.flush({ message: 'Password changed', user: aUser({ twoFactorEnabled: true }) });
    await fixture.whenStable();
    expect(changed).toBe(1);
  });

  it('a refused passkey shows the API\'s words and changes nothing', async () => {
    await create(true, { totp: true, passkeys: 1 });
    TestBed.inject(WebAuthnClient).get = async () => ({ id: 'c' }) as never;
    typeInto(inputByLabel(el, 'Current password'), 'old password here');
    typeInto(inputByLabel(el, 'New password'), NEW);
    await fixture.whenStable();
    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cA', allowCredentials: [] });
    await new Promise((resolve) => setTimeout(resolve));
    const failed = errorResponse(400, 'PASSKEY_FAILED', { attemptsRemaining: 4, reason: 'counter_rollback' });
    http.expectOne('/auth/password/change').flush(failed.body, failed.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['PASSKEY_FAILED message 4 attempts remaining.']);
    expect(changed).toBe(0);
  });
});
