import { TestBed } from '@angular/core/testing';
import { aUser, provideTestApp } from '../../../testing/test-utils';
import { ClockDriftNotice, clockDriftText } from './clock-drift';
import { SessionStore } from './session.store';

describe('ClockDriftNotice (told once after the login, rule 19)', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestApp() }));

  it('words the drift like the API: seconds, then half minutes; fast or slow', () => {
    expect(clockDriftText(40)).toBe('Your authenticator’s clock is about 40 seconds fast: set the phone’s time to automatic.');
    expect(clockDriftText(-120)).toBe('Your authenticator’s clock is about 2 minutes slow: set the phone’s time to automatic.');
    expect(clockDriftText(95)).toContain('about a minute and a half fast');
  });

  it('holds a drift until dismissed or until the session changes; no drift (or 0) is nothing to say', () => {
    const notice = TestBed.inject(ClockDriftNotice);
    notice.show(undefined);
    expect(notice.driftSeconds()).toBeNull();
    notice.show(0.2);
    expect(notice.driftSeconds()).toBeNull();
    notice.show(60);
    expect(notice.driftSeconds()).toBe(60);
    notice.dismiss();
    expect(notice.driftSeconds()).toBeNull();
    notice.show(-90);
    TestBed.inject(SessionStore).start(aUser());
    expect(notice.driftSeconds()).toBeNull();
  });
});
