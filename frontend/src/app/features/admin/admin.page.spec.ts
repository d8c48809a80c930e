import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { AdminUser, adminGuard } from '../../core/admin/admin.api';
import { SessionStore } from '../../core/auth/session.store';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../testing/test-utils';
import { useDialogStubs } from '../../../testing/proof-dialog';
import { AdminPage } from './admin.page';

function aRow(overrides: Partial<AdminUser> = {}): AdminUser {
  return {
    id: 'u2',
    email: 'bob@example.com',
    role: 'USER',
    createdAt: '2026-11-01T10:00:00.000Z',
    twoFactorEnabled: true,
    twoFactorSetupRequired: false,
    backupCodesRemaining: 7,
    rememberedDevices: 1,
    lastSignInAt: '2026-11-24T09:00:00.000Z',
    locked: false,
    lockedUntil: null,
    loginLocked: false,
    loginLockedUntil: null,
    ...overrides,
  };
}

describe('AdminPage', () => {
  useDialogStubs();
  let http: HttpTestingController;
  let fixture: ComponentFixture<AdminPage>;
  let el: HTMLElement;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ role: 'ADMIN', twoFactorEnabled: true }));
    fixture = TestBed.createComponent(AdminPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
    // The admin's own factors: what the proof dialog offers.
    http.expectOne('/auth/2fa/status').flush({ enabled: true, totp: true, passkeys: 0, backupCodesRemaining: 10 });
  });

  afterEach(() => http.verify());

  const rows = () => Array.from(el.querySelectorAll<HTMLElement>('[data-testid="admin-user"]'));

  it('lists users with their 2FA state, factors and lock; searches by email; loads more', async () => {
    http.expectOne('/auth/admin/users').flush({ users: [aRow(), aRow({ id: 'u3', email: 'carol@example.com', twoFactorEnabled: false })], nextCursor: 'carol@example.com' });
    await fixture.whenStable();
    expect(rows().map((r) => r.dataset['email'])).toEqual(['bob@example.com', 'carol@example.com']);
    expect(rows()[0].textContent).toContain('7 backup codes, 1 remembered devices');
    expect(rows()[1].querySelector('[data-testid="admin-user-twofa"]')?.textContent?.trim()).toBe('Off');

    buttonByText(el, 'Load more').click();
    http.expectOne('/auth/admin/users?after=carol@example.com').flush({ users: [aRow({ id: 'u4', email: 'dan@example.com' })], nextCursor: null });
    await fixture.whenStable();
    expect(rows()).toHaveLength(3);

    typeInto(inputByLabel(el, 'Search by email'), ' bob ');
    buttonByText(el, 'Search').click();
    http.expectOne('/auth/admin/users?query=bob').flush({ users: [aRow()], nextCursor: null });
    await fixture.whenStable();
    expect(rows()).toHaveLength(1);
  });

  const dialog = (which: 'reset' | 'unlock') => el.querySelector<HTMLDialogElement>(`[data-testid="admin-${which}-dialog"]`)!;

  async function prove(which: 'reset' | 'unlock', password: string, code: string, submit: string): Promise<void> {
    typeInto(inputByLabel(dialog(which), 'Password'), password);
    typeInto(inputByLabel(dialog(which), 'Authentication code'), code);
    await fixture.whenStable();
    buttonByText(dialog(which), submit).click();
    await fixture.whenStable();
  }

  it('reset: a reason of 10+ characters, then the admin’s own password AND code in the dialog, all in one request (rule 7)', async () => {
    http.expectOne('/auth/admin/users').flush({ users: [aRow()], nextCursor: null });
    await fixture.whenStable();
    buttonByText(el, 'Reset 2FA').click();
    await fixture.whenStable();
    typeInto(el.querySelector<HTMLInputElement>('#reset-reason'), 'lost');
    buttonByText(el, 'Reset two-factor authentication').click();
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Say why, in at least 10 characters.']);
    expect(dialog('reset').hasAttribute('open')).toBe(false);

    typeInto(el.querySelector<HTMLInputElement>('#reset-reason'), 'Lost phone, identity checked by phone call');
    buttonByText(el, 'Reset two-factor authentication').click();
    await fixture.whenStable();
    http.expectNone('/auth/admin/users/u2/reset-2fa');
    expect(dialog('reset').hasAttribute('open')).toBe(true);

    // The password alone sends nothing.
    typeInto(inputByLabel(dialog('reset'), 'Password'), 'admin pw');
    await fixture.whenStable();
    buttonByText(dialog('reset'), 'Confirm and reset').click();
    await fixture.whenStable();
    http.expectNone('/auth/admin/users/u2/reset-2fa');

    await prove('reset', 'wrong pw', '123456', 'Confirm and reset');
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 4 });
    http.expectOne('/auth/admin/users/u2/reset-2fa').flush(wrong.body, wrong.opts);
    await fixture.whenStable();
    http.expectNone('/auth/refresh');
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(true);
    expect(alerts(dialog('reset'))).toEqual(['Incorrect password. 4 attempts remaining.']);

    await prove('reset', 'admin pw', '654 321', 'Confirm and reset');
    const req = http.expectOne('/auth/admin/users/u2/reset-2fa');
    expect(req.request.body).toEqual({ reason: 'Lost phone, identity checked by phone call', password: 'admin pw', code: '654321' });
    req.flush({ message: 'ok' });
    await fixture.whenStable();
    expect(dialog('reset').hasAttribute('open')).toBe(false);
    expect(rows()[0].querySelector('[data-testid="admin-user-twofa"]')?.textContent?.trim()).toBe('Off (setup required)');
    expect(el.querySelector('[data-testid="admin-notice"]')?.textContent).toContain('bob@example.com');
    expect(el.querySelector('[data-testid="reset-2fa-form"]')).toBeNull();
  });

  it('unlock: the admin’s own password AND code in the dialog; a lockout and an API refusal are shown there', async () => {
    http.expectOne('/auth/admin/users').flush({ users: [aRow({ locked: true, lockedUntil: '2026-11-25T12:15:00.000Z' })], nextCursor: null });
    await fixture.whenStable();
    buttonByText(el, 'Unlock').click();
    await fixture.whenStable();
    http.expectNone('/auth/admin/users/u2/unlock');
    expect(dialog('unlock').textContent).toContain('Unlock bob@example.com?');

    await prove('unlock', 'admin pw', '111111', 'Confirm and unlock');
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 600 });
    http.expectOne('/auth/admin/users/u2/unlock').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(dialog('unlock'))).toEqual(['Too many attempts. Please wait 10 minutes before trying again.']);
    expect(buttonByText(dialog('unlock'), 'Confirm and unlock').disabled).toBe(true);
  });

  it('unlock with a backup code sends {password, backupCode}; the row shows unlocked', async () => {
    http.expectOne('/auth/admin/users').flush({ users: [aRow({ locked: true, lockedUntil: '2026-11-25T12:15:00.000Z' })], nextCursor: null });
    await fixture.whenStable();
    buttonByText(el, 'Unlock').click();
    await fixture.whenStable();
    buttonByText(dialog('unlock'), 'Use a backup code instead').click();
    await fixture.whenStable();
    typeInto(inputByLabel(dialog('unlock'), 'Password'), 'admin pw');
    typeInto(inputByLabel(dialog('unlock'), 'Backup code'), 'abcd efgh');
    await fixture.whenStable();
    buttonByText(dialog('unlock'), 'Confirm and unlock').click();
    const req = http.expectOne('/auth/admin/users/u2/unlock');
    expect(req.request.body).toEqual({ password: 'admin pw', backupCode: 'abcd-efgh' });
    req.flush({ message: 'ok' });
    await fixture.whenStable();
    expect(rows()[0].querySelector('[data-testid="admin-user-locked"]')?.textContent?.trim()).toBe('No');
    expect(el.querySelector('[data-testid="admin-notice"]')?.textContent).toContain('bob@example.com was unlocked');
  });

  it('shows a password sign-in lock beside the code-entry lock, and unlocks it with the admin’s proof', async () => {
    const until = '2026-11-25T12:15:00.000Z';
    http.expectOne('/auth/admin/users').flush({
      users: [aRow({ loginLocked: true, loginLockedUntil: until }), aRow({ id: 'u3', email: 'carol@example.com', locked: true, lockedUntil: until, loginLocked: true, loginLockedUntil: until })],
      nextCursor: null,
    });
    await fixture.whenStable();
    const [bob, carol] = rows();
    expect(bob.querySelector('[data-testid="admin-user-login-lock"]')?.textContent).toContain('Password sign-in until');
    expect(bob.querySelector('[data-testid="admin-user-code-lock"]')).toBeNull();
    expect(carol.querySelector('[data-testid="admin-user-code-lock"]')?.textContent).toContain('Codes until');
    expect(carol.querySelector('[data-testid="admin-user-login-lock"]')).not.toBeNull();

    bob.querySelector<HTMLButtonElement>('button[aria-label="Unlock bob@example.com"]')!.click();
    await fixture.whenStable();
    await prove('unlock', 'admin pw', '123456', 'Confirm and unlock');
    http.expectOne('/auth/admin/users/u2/unlock').flush({ message: 'ok' });
    await fixture.whenStable();
    expect(rows()[0].querySelector('[data-testid="admin-user-locked"]')?.textContent?.trim()).toBe('No');
    expect(rows()[0].querySelector('button[aria-label="Unlock bob@example.com"]')).toBeNull();
  });
});

describe('adminGuard', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestApp() }));

  const run = () => TestBed.runInInjectionContext(() => adminGuard({} as never, { url: '/admin' } as never));

  it('lets an admin with 2FA in; sends a user to the dashboard and an admin without 2FA to the profile', () => {
    const router = TestBed.inject(Router);
    signIn(aUser({ role: 'ADMIN', twoFactorEnabled: true }));
    expect(run()).toBe(true);
    signIn(aUser({ role: 'USER' }));
    expect(router.serializeUrl(run() as never)).toBe('/dashboard');
    signIn(aUser({ role: 'ADMIN', twoFactorEnabled: false }));
    expect(router.serializeUrl(run() as never)).toBe('/profile');
  });
});
