import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { anEvent } from '../../../../testing/fixtures';
import { alerts, buttonByText, provideTestApp } from '../../../../testing/test-utils';
import { ViewportScroller } from '@angular/common';
import { RouterTestingHarness } from '@angular/router/testing';
import { ACTIVITY_ANCHOR, SecurityActivity } from './security-activity';

function events(from: number, count: number) {
  return Array.from({ length: count }, (_, i) =>
    anEvent({
      id: `e${from + i}`,
      type: from + i === 0 ? 'TWOFA_LOCKED' : 'LOGIN_SUCCESS',
      createdAt: new Date(Date.UTC(2026, 10, 25, 8, 0, 0) - (from + i) * 60_000).toISOString(),
    }),
  );
}

describe('SecurityActivity', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<SecurityActivity>;
  let el: HTMLElement;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(SecurityActivity);
    el = fixture.nativeElement;
  });

  afterEach(() => http.verify());

  const items = () => el.querySelectorAll('[data-testid="security-events"] li');
  const moreButton = () => el.querySelector<HTMLButtonElement>('[data-testid="security-events-more"]');
  const expectPage = (before: string | null): TestRequest =>
    http.expectOne((r) => r.url === '/auth/security-events' && r.params.get('before') === before);

  it('shows the 10 latest events, then the rest of the page, with no request while the page lasts', async () => {
    http.expectOne('/auth/security-events').flush({ events: events(0, 12), nextCursor: null });
    await fixture.whenStable();
    expect(items()).toHaveLength(10);
    expect(items()[0].getAttribute('data-event-type')).toBe('TWOFA_LOCKED');
    expect(items()[0].querySelector('time')?.getAttribute('datetime')).toBe(events(0, 1)[0].createdAt);
    buttonByText(el, 'Load more').click();
    await fixture.whenStable();
    expect(items()).toHaveLength(12);
    expect(moreButton()).toBeNull(); // nextCursor null and everything shown
    expect(el.querySelector('[role="status"]')?.textContent).toContain('Showing 12 events.');
  });

  it('"Load more" asks for ?before=<nextCursor> and appends; hidden when nextCursor is null', async () => {
    http.expectOne('/auth/security-events').flush({ events: events(0, 10), nextCursor: 'cursor-1' });
    await fixture.whenStable();
    expect(items()).toHaveLength(10);
    expect(moreButton()).not.toBeNull();

    moreButton()!.click();
    await fixture.whenStable();
    expect(moreButton()!.disabled).toBe(true);
    expect(moreButton()!.getAttribute('aria-busy')).toBe('true');
    // The next page overlaps by one (an event written meanwhile): it is not shown twice.
    expectPage('cursor-1').flush({ events: events(9, 6), nextCursor: null });
    await fixture.whenStable();
    expect(items()).toHaveLength(15);
    expect(new Set(Array.from(items()).map((li) => li.querySelector('time')?.getAttribute('datetime'))).size).toBe(15);
    expect(moreButton()).toBeNull();
  });

  it('keeps what it has when an older page fails, and can try again', async () => {
    http.expectOne('/auth/security-events').flush({ events: events(0, 10), nextCursor: 'c1' });
    await fixture.whenStable();
    moreButton()!.click();
    expectPage('c1').flush({ message: 'x', code: 'INTERNAL_ERROR' }, { status: 500, statusText: 'x' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Could not load older activity. x']);
    expect(items()).toHaveLength(10);
    moreButton()!.click();
    expectPage('c1').flush({ events: events(10, 10), nextCursor: 'c2' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual([]);
    expect(items()).toHaveLength(20);
    expect(moreButton()).not.toBeNull();
  });

  it('reload() goes back to the newest page', async () => {
    http.expectOne('/auth/security-events').flush({ events: events(0, 10), nextCursor: 'c1' });
    await fixture.whenStable();
    moreButton()!.click();
    expectPage('c1').flush({ events: events(10, 10), nextCursor: null });
    await fixture.whenStable();
    expect(items()).toHaveLength(20);
    fixture.componentInstance.reload();
    http.expectOne('/auth/security-events').flush({ events: events(0, 3), nextCursor: null });
    await fixture.whenStable();
    expect(items()).toHaveLength(3);
  });

  it('shows new event types in words and how a login was verified', async () => {
    http.expectOne('/auth/security-events').flush({
      events: [
        anEvent({ id: '1', type: 'REFRESH_TOKEN_REUSE' }),
        anEvent({ id: '2', type: 'LOGIN_SUCCESS', detail: { method: 'trusted_device' } }),
      ],
      nextCursor: null,
    });
    await fixture.whenStable();
    expect(items()[0].className).toContain('activity-warn');
    expect(items()[0].textContent).toContain('that session was ended');
    expect(items()[1].textContent).toContain('Logged in (remembered device)');
  });

  it('a login with a backup code reads as ONE line; its three events stay on it (data-merged-types)', async () => {
    const at = '2026-11-25T08:00:00.120Z';
    const login = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', createdAt: at };
    http.expectOne('/auth/security-events').flush({
      events: [
        anEvent({ id: '5', type: 'BACKUP_CODE_USED', ...login, createdAt: '2026-11-25T08:00:00.125Z' }),
        anEvent({ id: '4', type: 'LOGIN_SUCCESS', ...login, detail: { method: 'backup_code', twoFactor: true } }),
        anEvent({ id: '3', type: 'TWOFA_VERIFY_SUCCESS', ...login, detail: { method: 'backup_code' } }),
        anEvent({ id: '2', type: 'TWOFA_VERIFY_FAILURE', ...login, createdAt: '2026-11-25T07:59:40Z', detail: { method: 'totp', during: 'enable' } }),
      ],
      nextCursor: null,
    });
    await fixture.whenStable();
    expect(items()).toHaveLength(2);
    expect(items()[0].getAttribute('data-event-type')).toBe('LOGIN_SUCCESS');
    expect(items()[0].getAttribute('data-merged-types')).toBe('BACKUP_CODE_USED TWOFA_VERIFY_SUCCESS');
    expect(items()[0].textContent).toContain('Logged in (backup code)');
    expect(items()[0].className).not.toContain('activity-warn');
    expect(items()[1].textContent).toContain('Wrong authentication code entered while turning on two-factor authentication');
    expect(items()[1].textContent).not.toContain('at login');
  });

  it('a replay by the browser that had just used the code is not a warning; from elsewhere it is', async () => {
    http.expectOne('/auth/security-events').flush({
      events: [
        anEvent({ id: '2', type: 'TOTP_REPLAY', detail: { method: 'totp', reason: 'replay', sameBrowser: true } }),
        anEvent({ id: '1', type: 'TOTP_REPLAY', detail: { method: 'totp', reason: 'replay', sameBrowser: false } }),
      ],
      nextCursor: null,
    });
    await fixture.whenStable();
    expect(items()[0].className).not.toContain('activity-warn');
    expect(items()[0].textContent).toContain('A code was entered again at login right after this browser had used it');
    expect(items()[1].className).toContain('activity-warn');
    expect(items()[1].textContent).toContain('if this wasn’t you, change your password');
  });

  it('an admin before 2FA (403 TWOFA_SETUP_REQUIRED): a calm line, no error box, no "Try again"', async () => {
    const required = { message: 'x', code: 'TWOFA_SETUP_REQUIRED' };
    http.expectOne('/auth/security-events').flush(required, { status: 403, statusText: 'Forbidden' });
    await fixture.whenStable();
    expect(alerts(el)).toEqual([]);
    expect(el.querySelector('button')).toBeNull();
    expect(el.querySelector('[data-testid="security-events-unavailable"]')?.textContent).toContain('once two-factor authentication is on');
  });

  it('says so when there is nothing yet, and when loading fails', async () => {
    http.expectOne('/auth/security-events').flush({ message: 'x', code: 'INTERNAL_ERROR' }, { status: 500, statusText: 'x' });
    await fixture.whenStable();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('Could not load your security activity.');
    buttonByText(el, 'Try again').click();
    http.expectOne('/auth/security-events').flush({ events: [], nextCursor: null });
    await fixture.whenStable();
    expect(el.textContent).toContain('No activity yet.');
  });

  describe('/profile#security-activity (the link in the security emails)', () => {
    let scrolled: string[];

    async function open(url: string): Promise<RouterTestingHarness> {
      TestBed.resetTestingModule();
      TestBed.configureTestingModule({ providers: provideTestApp([{ path: 'profile', component: SecurityActivity }]) });
      http = TestBed.inject(HttpTestingController);
      scrolled = [];
      vi.spyOn(TestBed.inject(ViewportScroller), 'scrollToAnchor').mockImplementation((anchor: string) => {
        scrolled.push(anchor);
      });
      const harness = await RouterTestingHarness.create();
      await harness.navigateByUrl(url);
      el = harness.routeNativeElement!;
      return harness;
    }

    it('scrolls to the card once its events are on screen, and not again on a reload', async () => {
      const harness = await open('/profile#security-activity');
      expect(el.querySelector('#security-activity')).not.toBeNull();
      // The router's own anchor scrolling ran before the events came: not yet.
      await harness.fixture.whenStable();
      expect(scrolled).toEqual([]);
      http.expectOne('/auth/security-events').flush({ events: events(0, 3), nextCursor: null });
      await harness.fixture.whenStable();
      expect(items()).toHaveLength(3);
      expect(scrolled).toEqual([ACTIVITY_ANCHOR]);

      harness.routeDebugElement!.injector.get(SecurityActivity).reload();
      http.expectOne('/auth/security-events').flush({ events: events(0, 4), nextCursor: null });
      await harness.fixture.whenStable();
      expect(scrolled).toEqual([ACTIVITY_ANCHOR]);
    });

    it('also after a failed load (the card is there, with its error)', async () => {
      const harness = await open('/profile#security-activity');
      http.expectOne('/auth/security-events').flush({ message: 'down', code: 'SERVICE_UNAVAILABLE' }, { status: 503, statusText: 'x' });
      await harness.fixture.whenStable();
      expect(scrolled).toEqual([ACTIVITY_ANCHOR]);
    });

    it('does not scroll without the fragment', async () => {
      const harness = await open('/profile');
      http.expectOne('/auth/security-events').flush({ events: events(0, 3), nextCursor: null });
      await harness.fixture.whenStable();
      expect(scrolled).toEqual([]);
    });
  });
});
