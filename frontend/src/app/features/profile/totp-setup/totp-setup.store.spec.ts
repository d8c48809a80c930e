import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { aUser, errorResponse, provideTestApp, signIn } from '../../../../testing/test-utils';
import { EnrolmentLink } from '../../../core/two-factor/enrolment-link';
import { TwoFactorStatusStore } from '../two-factor-status.store';
import { TotpSetupStore } from './totp-setup.store';

const KEY = { secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/TwoFA:ada?secret=JBSWY3DPEHPK3PXP' };

describe('TotpSetupStore (idle → password? → key → idle with the codes)', () => {
  let store: TotpSetupStore;
  let status: TwoFactorStatusStore;
  let http: HttpTestingController;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: [...provideTestApp(), TwoFactorStatusStore, TotpSetupStore] });
    http = TestBed.inject(HttpTestingController);
    store = TestBed.inject(TotpSetupStore);
    status = TestBed.inject(TwoFactorStatusStore);
    signIn(aUser());
  });

  afterEach(() => http.verify());

  it('asks for the password at setup, enables with {token} only (the password is not sent again), and hands the first factor’s codes to the status store', () => {
    const outcomes: string[] = [];
    store.begin((o) => outcomes.push(o));
    expect(sessionStorage.getItem('twofa.setupInProgress')).toBe('u1');
    const reauth = errorResponse(401, 'REAUTH_REQUIRED');
    http.expectOne('/auth/2fa/setup').flush(reauth.body, reauth.opts);
    expect(store.step()).toBe('password');

    store.submitPassword('pw pw pw', (o) => outcomes.push(o));
    const setup = http.expectOne('/auth/2fa/setup');
    expect(setup.request.body).toEqual({ password: 'pw pw pw' });
    setup.flush(KEY);
    expect(store.step()).toBe('key');
    expect(store.groupedKey()).toBe('JBSW Y3DP EHPK 3PXP');

    store.confirm('123456', (o) => outcomes.push(o));
    const enable = http.expectOne('/auth/2fa/enable');
    expect(enable.request.body).toEqual({ token: '123456' });
    enable.flush({ message: '2FA enabled', backupCodes: ['aaaa-bbbb'] });
    expect(outcomes).toEqual(['password', 'key', 'enabled']);
    expect(store.step()).toBe('idle');
    expect(status.enabled()).toBe(true);
    expect(status.totp()).toBe(true);
    expect(status.shownCodes()).toEqual({ codes: ['aaaa-bbbb'], reason: 'enabled' });
    expect(sessionStorage.getItem('twofa.setupInProgress')).toBeNull();
  });

  it('a passkey user adding TOTP gets no new codes (the API sends none)', () => {
    store.begin();
    http.expectOne('/auth/2fa/setup').flush(KEY);
    store.confirm('123456', () => undefined);
    http.expectOne('/auth/2fa/enable').flush({ message: '2FA enabled' });
    expect(status.totp()).toBe(true);
    expect(status.shownCodes()).toBeNull();
  });

  it('an expired setup goes back to idle with a message; a wrong code stays on the key', () => {
    const outcomes: string[] = [];
    store.begin();
    http.expectOne('/auth/2fa/setup').flush(KEY);
    store.confirm('000000', (o) => outcomes.push(o));
    const wrong = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 2 });
    http.expectOne('/auth/2fa/enable').flush(wrong.body, wrong.opts);
    expect(store.step()).toBe('key');
    expect(store.error()).toContain('2 attempts remaining.');
    store.confirm('111111', (o) => outcomes.push(o));
    const gone = errorResponse(400, 'NO_PENDING_SETUP');
    http.expectOne('/auth/2fa/enable').flush(gone.body, gone.opts);
    expect(outcomes).toEqual(['code', 'expired']);
    expect(store.step()).toBe('idle');
    expect(store.error()).toBe('Your setup expired. Please start again.');
  });

  it('resumeWanted: only for this user’s flag or the dashboard link, and not once TOTP is on', () => {
    sessionStorage.setItem('twofa.setupInProgress', 'someone-else');
    expect(store.resumeWanted(false)).toBe(false);
    expect(store.resumeWanted(true)).toBe(true);
    status.totp.set(true);
    sessionStorage.setItem('twofa.setupInProgress', 'u1');
    expect(store.resumeWanted(false)).toBe(false);
    expect(sessionStorage.getItem('twofa.setupInProgress')).toBeNull();
    http.expectNone('/auth/2fa/setup');
  });

  it('showKey: a setup proven elsewhere shows its key and is remembered for a reload', () => {
    store.showKey(KEY);
    expect(store.step()).toBe('key');
    expect(store.groupedKey()).toBe('JBSW Y3DP EHPK 3PXP');
    expect(sessionStorage.getItem('twofa.setupInProgress')).toBe('u1');
  });

  describe('after an admin reset (rule 20)', () => {
    const resetUser = () => aUser({ twoFactorRequirement: { reason: 'admin_reset', blocked: true, deadline: null } });

    it('with the emailed link: asks the password first, then sends {enrolmentToken, password}; enabling sends {token} only and uses the link up', () => {
      signIn(resetUser());
      TestBed.inject(EnrolmentLink).keep('t0k3n');
      store.begin();
      http.expectNone('/auth/2fa/setup');
      expect(store.step()).toBe('password');
      store.submitPassword('pw');
      const req = http.expectOne('/auth/2fa/setup');
      expect(req.request.body).toEqual({ enrolmentToken: 't0k3n', password: 'pw' });
      req.flush(KEY);
      expect(store.step()).toBe('key');
      store.confirm('123456', () => undefined);
      const enable = http.expectOne('/auth/2fa/enable');
      expect(enable.request.body).toEqual({ token: '123456' });
      enable.flush({ message: '2FA enabled', backupCodes: ['aaaa-bbbb'] });
      expect(TestBed.inject(EnrolmentLink).token()).toBeNull();
    });

    it('an expired link is forgotten and said; without a link nothing is sent', () => {
      signIn(resetUser());
      const enrolment = TestBed.inject(EnrolmentLink);
      enrolment.keep('old');
      store.begin();
      store.submitPassword('pw');
      const expired = errorResponse(400, 'ENROLMENT_LINK_EXPIRED');
      http.expectOne('/auth/2fa/setup').flush(expired.body, expired.opts);
      expect(enrolment.token()).toBeNull();
      expect(store.step()).toBe('idle');
      expect(store.error()).toBe('ENROLMENT_LINK_EXPIRED message.');

      store.begin();
      http.expectNone('/auth/2fa/setup');
      expect(store.error()).toBe('We emailed you a link to set up two-factor authentication again. Open it on this browser.');
    });

    it('REAUTH_REQUIRED needing the link: forgotten, and the user told where it is', () => {
      signIn(resetUser());
      TestBed.inject(EnrolmentLink).keep('t0k3n');
      store.begin();
      store.submitPassword('pw');
      const reauth = errorResponse(401, 'REAUTH_REQUIRED', { needs: ['enrolmentLink', 'password'] });
      http.expectOne('/auth/2fa/setup').flush(reauth.body, reauth.opts);
      expect(TestBed.inject(EnrolmentLink).token()).toBeNull();
      expect(store.error()).toContain('We emailed you a link');
    });
  });
});
