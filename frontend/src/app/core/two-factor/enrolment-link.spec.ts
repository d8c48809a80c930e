import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { BlankPage, TEST_ROUTES, aUser, provideTestApp, signIn } from '../../../testing/test-utils';
import { SessionStore } from '../auth/session.store';
import { ENROLMENT_TOKEN_KEY, EnrolmentLink, enrolGuard, tokenFromFragment } from './enrolment-link';

const RESET_USER = aUser({ twoFactorRequirement: { reason: 'admin_reset', blocked: true, deadline: null } });

describe('EnrolmentLink (re-enrolment after an admin reset, rule 20)', () => {
  let http: HttpTestingController;
  let router: Router;

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: provideTestApp([...TEST_ROUTES, { path: 'enrol', canActivate: [enrolGuard], component: BlankPage }]),
    });
    http = TestBed.inject(HttpTestingController);
    router = TestBed.inject(Router);
  });

  afterEach(() => http.verify());

  it('reads the token from a fragment like token=abc', () => {
    expect(tokenFromFragment('token=abc-123')).toBe('abc-123');
    expect(tokenFromFragment('other=1')).toBeNull();
    expect(tokenFromFragment(null)).toBeNull();
  });

  it('/enrol#token=… signed out: keeps the token in this tab, takes it out of the URL, logs in and comes back to /enrol', async () => {
    await router.navigateByUrl('/enrol#token=t0k3n');
    expect(router.url).toBe('/login');
    expect(sessionStorage.getItem(ENROLMENT_TOKEN_KEY)).toBe('t0k3n');
    expect(TestBed.inject(EnrolmentLink).token()).toBe('t0k3n');
    expect(TestBed.inject(SessionStore).takeReturnUrl()).toBe('/enrol');
  });

  it('/enrol#token=… signed in: on to the profile’s setup, the token out of the URL; the proof carries it with the password', async () => {
    signIn(RESET_USER);
    await router.navigateByUrl('/enrol#token=t0k3n');
    expect(router.url).toBe('/profile');
    const enrolment = TestBed.inject(EnrolmentLink);
    expect(enrolment.required()).toBe(true);
    expect(enrolment.setupProof('pw')).toEqual({ enrolmentToken: 't0k3n', password: 'pw' });
    expect(enrolment.setupProof(undefined)).toEqual({});
    enrolment.forget();
    expect(sessionStorage.getItem(ENROLMENT_TOKEN_KEY)).toBeNull();
    expect(enrolment.setupProof('pw')).toEqual({ password: 'pw' });
  });

  it('not required (no admin reset): the token is not sent', () => {
    signIn(aUser());
    const enrolment = TestBed.inject(EnrolmentLink);
    enrolment.keep('t0k3n');
    expect(enrolment.setupProof('pw')).toEqual({ password: 'pw' });
  });

  it('"send the link again" posts {} to /auth/2fa/enrolment-link', () => {
    TestBed.inject(EnrolmentLink).sendAgain().subscribe();
    const req = http.expectOne('/auth/2fa/enrolment-link');
    expect([req.request.method, req.request.body]).toEqual(['POST', {}]);
    req.flush({ message: 'sent' }, { status: 202, statusText: 'Accepted' });
  });
});
