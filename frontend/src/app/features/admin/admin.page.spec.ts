import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { AdminUser, adminGuard } from '../../core/admin/admin.api';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../testing/test-utils';
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
