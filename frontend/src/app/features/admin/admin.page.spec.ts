import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { AdminUser, adminGuard } from '../../core/admin/admin.api';
import { SessionStore } from '../../core/auth/session.store';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../testing/test-utils';
import { ADMIN_REAUTH_HINT, AdminPage } from './admin.page';

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

  it('reset needs a reason of 10+ characters, then sends it and shows the row as setup required', async () => {
    http.expectOne('/auth/admin/users').flush({ users: [aRow()], nextCursor: null });
    await fixture.whenStable();
    buttonByText(el, 'Reset 2FA').click();
    await fixture.whenStable();
    typeInto(el.querySelector<HTMLInputElement>('#reset-reason'), 'lost');
    buttonByText(el, 'Reset two-factor authentication').click();
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Say why, in at least 10 characters.']);
    http.expectNone('/auth/admin/users/u2/reset-2fa');

    typeInto(el.querySelector<HTMLInputElement>('#reset-reason'), 'Lost phone, identity checked by phone call');
    buttonByText(el, 'Reset two-factor authentication').click();
    const req = http.expectOne('/auth/admin/users/u2/reset-2fa');
    expect(req.request.body).toEqual({ reason: 'Lost phone, identity checked by phone call' });
    req.flush({ message: 'ok' });
    await fixture.whenStable();
    expect(rows()[0].querySelector('[data-testid="admin-user-twofa"]')?.textContent?.trim()).toBe('Off (setup required)');
    expect(el.querySelector('[data-testid="admin-notice"]')?.textContent).toContain('bob@example.com');
    expect(el.querySelector('[data-testid="reset-2fa-form"]')).toBeNull();
  });

  it('unlocks a locked user; an API refusal is shown', async () => {
    http.expectOne('/auth/admin/users').flush({ users: [aRow({ locked: true, lockedUntil: '2026-11-25T12:15:00.000Z' })], nextCursor: null });
    await fixture.whenStable();
    buttonByText(el, 'Unlock').click();
    const refused = errorResponse(409, 'NOT_LOCKED');
    http.expectOne('/auth/admin/users/u2/unlock').flush(refused.body, refused.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['NOT_LOCKED message']);
    buttonByText(el, 'Unlock').click();
    http.expectOne('/auth/admin/users/u2/unlock').flush({ message: 'ok' });
    await fixture.whenStable();
    expect(rows()[0].querySelector('[data-testid="admin-user-locked"]')?.textContent?.trim()).toBe('No');
  });

  it('shows a password sign-in lock beside the code-entry lock, and unlocks it', async () => {
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
    http.expectOne('/auth/admin/users/u2/unlock').flush({ message: 'ok' });
    await fixture.whenStable();
    expect(rows()[0].querySelector('[data-testid="admin-user-locked"]')?.textContent?.trim()).toBe('No');
    expect(rows()[0].querySelector('button[aria-label="Unlock bob@example.com"]')).toBeNull();
  });

  describe('an admin whose sign-in is over 10 minutes old (401 REAUTH_REQUIRED)', () => {
    const passwordInput = () => inputByLabel(el, 'Confirm your password');
    const still = () => {
      // not a lost session: no refresh was tried (http.verify) and the admin is still signed in
      http.expectNone('/auth/refresh');
      expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(true);
    };

    it('reset: asks for the password in the reset form, resends with it; shows attempts left and the lock', async () => {
      http.expectOne('/auth/admin/users').flush({ users: [aRow()], nextCursor: null });
      await fixture.whenStable();
      buttonByText(el, 'Reset 2FA').click();
      await fixture.whenStable();
      expect(passwordInput()).toBeNull();
      typeInto(el.querySelector<HTMLInputElement>('#reset-reason'), 'Lost phone, identity checked by phone call');
      buttonByText(el, 'Reset two-factor authentication').click();
      const stale = errorResponse(401, 'REAUTH_REQUIRED');
      http.expectOne('/auth/admin/users/u2/reset-2fa').flush(stale.body, stale.opts);
      await fixture.whenStable();
      still();
      const form = el.querySelector<HTMLElement>('[data-testid="reset-2fa-form"]')!;
      const input = inputByLabel(form, 'Confirm your password');
      expect(input).not.toBeNull();
      expect(input!.type).toBe('password');
      expect(document.activeElement).toBe(input);
      expect(form.textContent).toContain(ADMIN_REAUTH_HINT);
      expect(alerts(el)).toEqual([]);

      // nothing typed: the field says so and nothing is sent
      buttonByText(el, 'Reset two-factor authentication').click();
      await fixture.whenStable();
      expect(alerts(el)).toEqual(['Enter your password.']);
      expect(input!.getAttribute('aria-invalid')).toBe('true');
      http.expectNone('/auth/admin/users/u2/reset-2fa');

      typeInto(passwordInput(), 'wrong password');
      buttonByText(el, 'Reset two-factor authentication').click();
      let req = http.expectOne('/auth/admin/users/u2/reset-2fa');
      expect(req.request.body).toEqual({ reason: 'Lost phone, identity checked by phone call', password: 'wrong password' });
      const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 3 });
      req.flush(wrong.body, wrong.opts);
      await fixture.whenStable();
      still();
      expect(alerts(el)).toEqual(['Incorrect password. 3 attempts remaining.']);
      expect(passwordInput()!.value).toBe('');

      typeInto(passwordInput(), 'another guess');
      buttonByText(el, 'Reset two-factor authentication').click();
      const locked = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 900 });
      http.expectOne('/auth/admin/users/u2/reset-2fa').flush(locked.body, locked.opts);
      await fixture.whenStable();
      expect(alerts(el)).toEqual(['Too many attempts. Please wait 15 minutes before trying again.']);

      typeInto(passwordInput(), 'correct horse');
      buttonByText(el, 'Reset two-factor authentication').click();
      req = http.expectOne('/auth/admin/users/u2/reset-2fa');
      expect(req.request.body.password).toBe('correct horse');
      req.flush({ message: 'ok' });
      await fixture.whenStable();
      expect(el.querySelector('[data-testid="reset-2fa-form"]')).toBeNull();
      expect(rows()[0].querySelector('[data-testid="admin-user-twofa"]')?.textContent?.trim()).toBe('Off (setup required)');
      expect(alerts(el)).toEqual([]);
    });

    it('unlock: opens a card asking for the password, unlocks with it; the next action (sign-in renewed) sends none', async () => {
      http.expectOne('/auth/admin/users').flush({
        users: [aRow({ locked: true, lockedUntil: '2026-11-25T12:15:00.000Z' }), aRow({ id: 'u3', email: 'carol@example.com', locked: true, lockedUntil: '2026-11-25T12:15:00.000Z' })],
        nextCursor: null,
      });
      await fixture.whenStable();
      buttonByText(el, 'Unlock').click();
      const first = http.expectOne('/auth/admin/users/u2/unlock');
      expect(first.request.body).toEqual({});
      const stale = errorResponse(401, 'REAUTH_REQUIRED');
      first.flush(stale.body, stale.opts);
      await fixture.whenStable();
      still();
      const card = el.querySelector<HTMLElement>('[data-testid="unlock-form"]')!;
      expect(card.textContent).toContain('Unlock bob@example.com');
      expect(document.activeElement).toBe(inputByLabel(card, 'Confirm your password'));

      typeInto(passwordInput(), 'wrong');
      buttonByText(el, 'Confirm and unlock').click();
      const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 1 });
      http.expectOne('/auth/admin/users/u2/unlock').flush(wrong.body, wrong.opts);
      await fixture.whenStable();
      expect(alerts(el)).toEqual(['Incorrect password. 1 attempt remaining.']);

      typeInto(passwordInput(), 'correct horse');
      buttonByText(el, 'Confirm and unlock').click();
      const req = http.expectOne('/auth/admin/users/u2/unlock');
      expect(req.request.body).toEqual({ password: 'correct horse' });
      req.flush({ message: 'ok' });
      await fixture.whenStable();
      expect(el.querySelector('[data-testid="unlock-form"]')).toBeNull();
      expect(rows()[0].querySelector('[data-testid="admin-user-locked"]')?.textContent?.trim()).toBe('No');

      buttonByText(el, 'Unlock').click();
      const next = http.expectOne('/auth/admin/users/u3/unlock');
      expect(next.request.body).toEqual({});
      next.flush({ message: 'ok' });
      await fixture.whenStable();
      expect(passwordInput()).toBeNull();
    });
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
