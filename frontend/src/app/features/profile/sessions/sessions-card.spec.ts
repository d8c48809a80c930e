import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { AUTH_MESSAGES, SessionStore } from '../../../core/auth/session.store';
import { aSession } from '../../../../testing/fixtures';
import { alerts, buttonByText, errorResponse, provideTestApp, signIn, tick } from '../../../../testing/test-utils';
import { SessionsCard } from './sessions-card';

const NO_CONTENT = { status: 204, statusText: 'No Content' };

describe('SessionsCard', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<SessionsCard>;
  let el: HTMLElement;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn();
  });

  afterEach(() => http.verify());

  async function create(sessions = [aSession({ id: 'here', current: true, authMethod: 'trusted_device' }), aSession({ id: 'other' })]) {
    fixture = TestBed.createComponent(SessionsCard);
    el = fixture.nativeElement;
    http.expectOne('/auth/sessions').flush({ sessions });
    await fixture.whenStable();
  }

  const rows = () => Array.from(el.querySelectorAll<HTMLElement>('[data-testid="session"]'));
  const row = (id: string) => el.querySelector<HTMLElement>(`[data-testid="session"][data-session-id="${id}"]`)!;
  const signOutButton = (id: string) => row(id).querySelector('button')!;
  const status = () => el.querySelector('[data-testid="sessions-status"]')?.textContent?.trim();

  it('lists device, IP, last activity, how the login was verified, and marks this device', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-25T09:05:00Z'), toFake: ['Date'] });
    try {
      await create();
    } finally {
      vi.useRealTimers();
    }
    expect(rows()).toHaveLength(2);
    const here = row('here');
    expect(here.getAttribute('data-current')).toBe('true');
    expect(here.getAttribute('data-auth-method')).toBe('trusted_device');
    expect(here.querySelector('[data-testid="current-session"]')?.textContent?.trim()).toBe('This device');
    const text = here.textContent!.replace(/\s+/g, ' ');
    expect(text).toContain('Chrome on Linux');
    expect(text).toContain('203.0.113.9');
    expect(text).toContain('5 minutes ago');
    expect(text).toContain('Remembered device');
    expect(here.querySelector('time')?.getAttribute('datetime')).toBe('2026-11-25T09:00:00Z');
    expect(row('other').querySelector('[data-testid="current-session"]')).toBeNull();
    expect(row('other').textContent).toContain('Authenticator code');
    // Each "Sign out" names its session for screen readers (the visible words come first).
    expect(signOutButton('other').getAttribute('aria-label')).toBe('Sign out Chrome on Linux, 203.0.113.9');
    expect(signOutButton('here').getAttribute('aria-label')).toBe('Sign out of this device (Chrome on Linux, 203.0.113.9)');
    expect(el.querySelector('section')?.getAttribute('aria-labelledby')).toBe('sessions-title');
  });

  it('"Sign out" on another session: DELETE, buttons wait meanwhile, the row goes away', async () => {
    await create();
    signOutButton('other').click();
    await fixture.whenStable();
    const req = http.expectOne('/auth/sessions/other');
    expect(req.request.method).toBe('DELETE');
    expect(signOutButton('here').disabled).toBe(true);
    expect(signOutButton('other').getAttribute('aria-busy')).toBe('true');
    expect(buttonByText(el, 'Log out everywhere').disabled).toBe(true);
    req.flush(null, NO_CONTENT);
    await fixture.whenStable();
    expect(rows().map((r) => r.getAttribute('data-session-id'))).toEqual(['here']);
    expect(status()).toBe('Signed out Chrome on Linux.');
    expect(signOutButton('here').disabled).toBe(false);
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(true);
  });

  it('"Sign out" on this device logs out and goes to /login', async () => {
    await create();
    signOutButton('here').click();
    http.expectOne('/auth/sessions/here').flush(null, NO_CONTENT);
    await tick();
    const auth = TestBed.inject(SessionStore);
    expect(auth.isLoggedIn()).toBe(false);
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(auth.notice()).toBe(AUTH_MESSAGES.loggedOut);
  });

  it('a session that had already ended (404) leaves the list; other errors are shown', async () => {
    await create([aSession({ id: 'here', current: true }), aSession({ id: 'a' }), aSession({ id: 'b', device: 'Safari on iOS' })]);
    signOutButton('a').click();
    const gone = errorResponse(404, 'NOT_FOUND');
    http.expectOne('/auth/sessions/a').flush(gone.body, gone.opts);
    await fixture.whenStable();
    expect(rows()).toHaveLength(2);
    expect(status()).toBe('That session (Chrome on Linux) had already ended.');
    expect(alerts(el)).toEqual([]);

    signOutButton('b').click();
    http.expectOne('/auth/sessions/b').flush({ message: 'Server error', code: 'INTERNAL_ERROR' }, { status: 500, statusText: 'x' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Could not sign out Safari on iOS. Server error']);
    expect(rows()).toHaveLength(2);
  });

  it('"Sign out of all other sessions" says how many ended and keeps this one', async () => {
    await create([aSession({ id: 'here', current: true }), aSession({ id: 'a' }), aSession({ id: 'b' })]);
    buttonByText(el, 'Sign out of all other sessions').click();
    await fixture.whenStable();
    const req = http.expectOne('/auth/sessions/revoke-others');
    expect(req.request.method).toBe('POST');
    expect(buttonByText(el, 'Sign out of all other sessions').disabled).toBe(true);
    req.flush({ revoked: 2 });
    await fixture.whenStable();
    expect(status()).toBe('Signed out of 2 other sessions.');
    expect(rows().map((r) => r.getAttribute('data-session-id'))).toEqual(['here']);
    expect(() => buttonByText(el, 'Sign out of all other sessions')).toThrow(); // nothing left to sign out
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(true);
  });

  it('shows a failed "Sign out of all other sessions"', async () => {
    await create();
    buttonByText(el, 'Sign out of all other sessions').click();
    const tooMany = errorResponse(429, 'TOO_MANY_REQUESTS');
    http.expectOne('/auth/sessions/revoke-others').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Could not sign out the other sessions. TOO_MANY_REQUESTS message']);
    expect(rows()).toHaveLength(2);
  });

  it('"Log out everywhere" ends every session and goes to /login', async () => {
    await create();
    buttonByText(el, 'Log out everywhere').click();
    http.expectOne('/auth/logout-all').flush({ message: 'Logged out everywhere' });
    await tick();
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(TestBed.inject(SessionStore).notice()).toBe(AUTH_MESSAGES.loggedOutEverywhere);
  });

  it('an admin before 2FA (403 TWOFA_SETUP_REQUIRED): a calm line, no error, no "Try again", no "Log out everywhere"', async () => {
    fixture = TestBed.createComponent(SessionsCard);
    el = fixture.nativeElement;
    const required = errorResponse(403, 'TWOFA_SETUP_REQUIRED');
    http.expectOne('/auth/sessions').flush(required.body, required.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual([]);
    expect(el.querySelector('[data-testid="sessions-unavailable"]')?.textContent).toContain(
      'Your sessions are listed here once two-factor authentication is on.',
    );
    expect(Array.from(el.querySelectorAll('button')).map((b) => b.textContent?.trim())).toEqual([]);
  });

  it('shows a load error with "Try again", and reload() fetches the list again', async () => {
    fixture = TestBed.createComponent(SessionsCard);
    el = fixture.nativeElement;
    http.expectOne('/auth/sessions').flush({ message: 'down', code: 'SERVICE_UNAVAILABLE' }, { status: 503, statusText: 'x' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Could not load your sessions. down']);
    buttonByText(el, 'Try again').click();
    http.expectOne('/auth/sessions').flush({ sessions: [aSession({ current: true })] });
    await fixture.whenStable();
    expect(rows()).toHaveLength(1);
    fixture.componentInstance.reload();
    http.expectOne('/auth/sessions').flush({ sessions: [] });
    await fixture.whenStable();
    expect(el.textContent).toContain('No active sessions.');
  });
});
