import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { buttonByText, provideTestApp } from '../../../testing/test-utils';
import { SecurityActivity } from './security-activity';

describe('SecurityActivity', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestApp() }));

  it('shows the 10 latest events, then all on request', async () => {
    const http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(SecurityActivity);
    const el: HTMLElement = fixture.nativeElement;
    const events = Array.from({ length: 12 }, (_, i) => ({
      id: `e${i}`,
      type: i === 0 ? 'TWOFA_LOCKED' : 'LOGIN_SUCCESS',
      ip: '127.0.0.1',
      userAgent: null,
      createdAt: new Date(Date.UTC(2026, 10, 25, 8, 60 - i)).toISOString(),
      detail: null,
    }));
    http.expectOne('/auth/security-events').flush({ events });
    await fixture.whenStable();
    const items = () => el.querySelectorAll('[data-testid="security-events"] li');
    expect(items()).toHaveLength(10);
    expect(items()[0].getAttribute('data-event-type')).toBe('TWOFA_LOCKED');
    expect(items()[0].querySelector('time')?.getAttribute('datetime')).toBe(events[0].createdAt);
    buttonByText(el, 'Show all 12 events').click();
    await fixture.whenStable();
    expect(items()).toHaveLength(12);
    http.verify();
  });

  it('says so when there is nothing yet, and when loading fails', async () => {
    const http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(SecurityActivity);
    const el: HTMLElement = fixture.nativeElement;
    http.expectOne('/auth/security-events').flush({ message: 'x', code: 'INTERNAL_ERROR' }, { status: 500, statusText: 'x' });
    await fixture.whenStable();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('Could not load your security activity.');
    buttonByText(el, 'Try again').click();
    http.expectOne('/auth/security-events').flush({ events: [] });
    await fixture.whenStable();
    expect(el.textContent).toContain('No activity yet.');
    http.verify();
  });
});
