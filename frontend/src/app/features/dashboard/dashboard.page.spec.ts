import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { aUser, provideTestApp, signIn } from '../../../testing/test-utils';
import { DashboardPage } from './dashboard.page';

describe('DashboardPage', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestApp() }));

  it('shows who is logged in, the fresh 2FA status, and one action that starts setup on the profile', async () => {
    const http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: false }));
    const fixture = TestBed.createComponent(DashboardPage);
    const el: HTMLElement = fixture.nativeElement;
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="user-email"]')?.textContent).toBe('ada@example.com');
    expect(el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim()).toBe('Off');
    // The same name as the profile's button, and it starts setup there at once (?setup=start).
    const start = el.querySelector<HTMLAnchorElement>('[data-testid="start-setup"]');
    expect(start?.textContent?.trim()).toBe('Enable two-factor authentication');
    expect(start?.getAttribute('href')).toBe('/profile?setup=start');
    expect(el.querySelector('a[href="/profile"]')?.textContent).toContain('See your recent security activity');

    // The page asks the API again: 2FA was turned on in another tab.
    http.expectOne('/auth/me').flush(aUser({ twoFactorEnabled: true }));
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim()).toBe('On');
    expect(el.querySelector('[data-testid="start-setup"]')).toBeNull();
    http.verify();
  });

  it('an admin without 2FA is shown only what they can do: set it up', async () => {
    const http = TestBed.inject(HttpTestingController);
    signIn(aUser({ role: 'ADMIN', twoFactorEnabled: false }));
    const fixture = TestBed.createComponent(DashboardPage);
    const el: HTMLElement = fixture.nativeElement;
    await fixture.whenStable();
    http.expectOne('/auth/me').flush(aUser({ role: 'ADMIN', twoFactorEnabled: false }));
    await fixture.whenStable();
    expect(el.textContent).toContain('Administrators must turn it on.');
    expect(el.querySelector('[data-testid="start-setup"]')?.textContent?.trim()).toBe('Enable two-factor authentication');
    expect(Array.from(el.querySelectorAll('a')).map((a) => a.textContent?.trim())).toEqual(['Enable two-factor authentication']);
    http.verify();
  });
});
