import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { SessionStore } from '../../core/auth/session.store';
import { aUser, provideTestApp, signIn } from '../../../testing/test-utils';
import { TwoFactorBanner, formatTimeLeft } from './two-factor-banner';

describe('formatTimeLeft', () => {
  it('words the time left', () => {
    expect(formatTimeLeft(30_000)).toBe('less than a minute');
    expect(formatTimeLeft(12 * 60_000)).toBe('12 minutes');
    expect(formatTimeLeft(61 * 60_000)).toBe('1 hour 1 minute');
    expect(formatTimeLeft(47 * 3600_000 + 59 * 60_000)).toBe('1 day 23 hours');
    expect(formatTimeLeft(48 * 3600_000)).toBe('2 days');
  });
});

describe('TwoFactorBanner', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => http.verify());

  async function render(): Promise<HTMLElement> {
    const fixture = TestBed.createComponent(TwoFactorBanner);
    await fixture.whenStable();
    return fixture.nativeElement;
  }

  it('shows the time left before the deadline, with a link that starts the setup', async () => {
    const deadline = new Date(Date.now() + 47 * 3600_000 + 30 * 60_000).toISOString();
    signIn(aUser({ role: 'ADMIN', twoFactorRequirement: { reason: 'role', deadline, blocked: false } }));
    const el = await render();
    expect(el.querySelector('[data-testid="twofa-time-left"]')?.textContent).toBe('1 day 23 hours');
    expect(el.querySelector('a')?.getAttribute('href')).toBe('/profile?setup=start');
  });

  it('says only the setup works once blocked (admin reset)', async () => {
    signIn(aUser({ twoFactorRequirement: { reason: 'admin_reset', deadline: null, blocked: true } }));
    const el = await render();
    expect(el.querySelector('[data-testid="twofa-banner"]')?.textContent).toContain('Set up two-factor authentication to continue.');
    expect(el.textContent).toContain('An administrator reset it');
  });

  it('after a login (no requirement in the answer) asks /auth/me once; nothing shown when nothing is asked', async () => {
    signIn(aUser({ role: 'ADMIN', twoFactorRequirement: undefined }));
    const el = await render();
    http.expectOne('/auth/me').flush(aUser({ role: 'ADMIN', twoFactorRequirement: null }));
    expect(TestBed.inject(SessionStore).user()?.twoFactorRequirement).toBeNull();
    expect(el.querySelector('[data-testid="twofa-banner"]')).toBeNull();
  });

  it('nothing for a user with 2FA on', async () => {
    signIn(aUser({ twoFactorEnabled: true }));
    const el = await render();
    expect(el.querySelector('[data-testid="twofa-banner"]')).toBeNull();
  });
});
