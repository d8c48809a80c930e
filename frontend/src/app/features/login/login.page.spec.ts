import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { SessionStore } from '../../core/auth/session.store';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, tick, typeInto } from '../../../testing/test-utils';
import { LoginPage } from './login.page';

describe('LoginPage', () => {
  let fixture: ComponentFixture<LoginPage>;
  let el: HTMLElement;
  let http: HttpTestingController;

  async function create(): Promise<void> {
    fixture = TestBed.createComponent(LoginPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
  }

  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  async function fillAndSubmit(email: string, password: string): Promise<void> {
    typeInto(inputByLabel(el, 'Email'), email);
    typeInto(inputByLabel(el, 'Password'), password);
    await fixture.whenStable();
    buttonByText(el, 'Log in').click();
    await fixture.whenStable();
  }

  it('labels its inputs and validates before calling the API', async () => {
    await create();
    expect(inputByLabel(el, 'Email')?.getAttribute('autocomplete')).toBe('username');
    expect(inputByLabel(el, 'Password')?.type).toBe('password');
    buttonByText(el, 'Log in').click();
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Enter your email address.', 'Enter your password.']);
    http.expectNone('/auth/login');
  });

  it('logs in and opens the dashboard', async () => {
    await create();
    await fillAndSubmit(' ada@example.com ', 'secret');
    const req = http.expectOne('/auth/login');
    expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'secret' });
    req.flush({ user: aUser() });
    await tick();
    expect(TestBed.inject(Router).url).toBe('/dashboard');
  });

  it('goes to /two-factor when the API answers requires2FA', async () => {
    await create();
    await fillAndSubmit('ada@example.com', 'secret');
    http.expectOne('/auth/login').flush({ requires2FA: true });
    await tick();
    expect(TestBed.inject(Router).url).toBe('/two-factor');
  });

  it('shows wrong credentials and the wait when rate-limited', async () => {
    await create();
    await fillAndSubmit('ada@example.com', 'wrong');
    const bad = errorResponse(401, 'INVALID_CREDENTIALS');
    http.expectOne('/auth/login').flush(bad.body, bad.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Incorrect email or password.']);
    expect(inputByLabel(el, 'Password')?.value).toBe('');
    http.expectNone('/auth/refresh');

    await fillAndSubmit('ada@example.com', 'again');
    const slow = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 600 });
    http.expectOne('/auth/login').flush(slow.body, slow.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many login attempts. Please wait 10 minutes and try again.']);
  });

  it('shows the "session expired" message once', async () => {
    TestBed.inject(SessionStore).setNotice('Your session expired. Please log in again.');
    await create();
    expect(alerts(el)).toEqual(['Your session expired. Please log in again.']);
    expect(TestBed.inject(SessionStore).notice()).toBeNull();
  });
});
