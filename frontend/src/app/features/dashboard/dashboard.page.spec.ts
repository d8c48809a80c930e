import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { aUser, provideTestApp, signIn } from '../../../testing/test-utils';
import { DashboardPage } from './dashboard.page';

describe('DashboardPage', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestApp() }));

  it('shows who is logged in, the fresh 2FA status and a link to the profile', async () => {
    const http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: false }));
    const fixture = TestBed.createComponent(DashboardPage);
    const el: HTMLElement = fixture.nativeElement;
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="user-email"]')?.textContent).toBe('ada@example.com');
    expect(el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim()).toBe('Off');
    expect(el.querySelector('a[href="/profile"]')?.textContent).toContain('Set up two-factor authentication');

    // The page asks the API again: 2FA was turned on in another tab.
    http.expectOne('/auth/me').flush(aUser({ twoFactorEnabled: true }));
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="twofa-status"]')?.textContent?.trim()).toBe('On');
    http.verify();
  });
});
