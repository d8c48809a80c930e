import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { SessionStore } from '../../core/auth/session.store';
import { WebAuthnClient } from '../../core/passkeys/webauthn-client';
import { PASSKEY_SIGN_IN_CANCELLED } from '../../core/passkeys/passkey-sign-in';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, setXsrfCookie, tick, typeInto } from '../../../testing/test-utils';
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
    expect(inputByLabel(el, 'Email')?.getAttribute('autocomplete')).toBe('username webauthn');
    expect(el.querySelector('[data-testid="passkey-sign-in"]')).toBeNull(); // jsdom has no WebAuthn
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

describe('LoginPage with a passkey', () => {
  const OPTIONS = { challenge: 'Y2hhbGxlbmdl', allowCredentials: [], userVerification: 'required' };
  const AUTOFILL_OPTIONS = { ...OPTIONS, challenge: 'YXV0b2ZpbGw' };
  const ASSERTION = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: {}, clientExtensionResults: {} };
  let fixture: ComponentFixture<LoginPage>;
  let el: HTMLElement;
  let http: HttpTestingController;
  let prompts: unknown[];
  /** The conditional requests the page started: their options and abort signals. */
  let autofills: { options: unknown; signal: AbortSignal; choose: (a: unknown) => void }[];
  // Plain functions, not vi.fn(): a spy that returns a rejected promise reports it to the test too.
  let webauthn: {
    supported: () => boolean;
    get: (o: unknown) => Promise<unknown>;
    autofillAvailable: () => Promise<boolean>;
    autofill: (o: unknown, signal: AbortSignal) => Promise<unknown>;
  };

  beforeEach(() => {
    sessionStorage.clear();
    setXsrfCookie('xsrf-1');
    prompts = [];
    autofills = [];
    webauthn = {
      supported: () => true,
      get: async (options) => {
        prompts.push(options);
        return ASSERTION;
      },
      autofillAvailable: async () => false,
      autofill: (options, signal) =>
        new Promise((resolve, reject) => {
          autofills.push({ options, signal, choose: resolve });
          signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    };
    TestBed.configureTestingModule({ providers: [...provideTestApp(), { provide: WebAuthnClient, useFactory: () => webauthn }] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    http.verify();
    setXsrfCookie(null);
  });

  async function create(): Promise<void> {
    fixture = TestBed.createComponent(LoginPage);
    el = fixture.nativeElement;
    await settle();
  }

  async function settle(): Promise<void> {
    await tick();
    await fixture.whenStable();
  }

  const passkeyButton = () => buttonByText(el, 'Sign in with a passkey');

  async function clickPasskeyButton(): Promise<void> {
    passkeyButton().click();
    const options = http.expectOne('/auth/passkey/options');
    expect(options.request.method).toBe('POST');
    expect(options.request.body).toEqual({});
    expect(options.request.headers.get('X-XSRF-TOKEN')).toBe('xsrf-1');
    options.flush(OPTIONS);
    await settle();
  }

  /** The autofill started on page load (or after a failure): its options request and the browser's conditional request. */
  async function autofillStarted(): Promise<(typeof autofills)[number]> {
    await settle();
    http.expectOne('/auth/passkey/options').flush(AUTOFILL_OPTIONS);
    await settle();
    const started = autofills.at(-1)!;
    expect(started.options).toEqual(AUTOFILL_OPTIONS);
    return started;
  }

  it('"Sign in with a passkey": options → the browser prompt → login → the dashboard', async () => {
    await create();
    expect(passkeyButton().classList).not.toContain('btn-primary'); // the password form stays the main way
    await clickPasskeyButton();
    expect(prompts).toEqual([OPTIONS]);
    const login = http.expectOne('/auth/passkey/login');
    expect(login.request.body).toEqual({ response: ASSERTION });
    expect(passkeyButton().disabled).toBe(true);
    expect(passkeyButton().getAttribute('aria-busy')).toBe('true');
    expect(buttonByText(el, 'Log in').disabled).toBe(true);
    login.flush({ user: aUser() });
    await settle();
    expect(TestBed.inject(SessionStore).user()?.email).toBe('ada@example.com');
    expect(TestBed.inject(Router).url).toBe('/dashboard');
  });

  it('goes to the page the guard stopped, like a password login', async () => {
    TestBed.inject(SessionStore).rememberReturnUrl('/profile');
    await create();
    await clickPasskeyButton();
    http.expectOne('/auth/passkey/login').flush({ user: aUser() });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/profile');
  });

  it('a passkey that did not verify the user, then an unknown passkey: one message at a time', async () => {
    await create();
    await clickPasskeyButton();
    const uv = errorResponse(400, 'PASSKEY_FAILED', { reason: 'user_verification' });
    http.expectOne('/auth/passkey/login').flush(uv.body, uv.opts);
    await settle();
    expect(alerts(el)).toEqual(["Your passkey or security key did not confirm it's you. Try again, or sign in with your password."]);
    expect(passkeyButton().disabled).toBe(false);
    http.expectNone('/auth/refresh');

    passkeyButton().click();
    await fixture.whenStable();
    expect(alerts(el)).toEqual([]); // the old message goes when a new attempt starts
    http.expectOne('/auth/passkey/options').flush(OPTIONS);
    await settle();
    const unknown = errorResponse(400, 'PASSKEY_FAILED');
    http.expectOne('/auth/passkey/login').flush(unknown.body, unknown.opts);
    await settle();
    expect(alerts(el)).toEqual(['That passkey was not recognised. Sign in with your password, or try another passkey.']);
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('a cancelled browser prompt says so calmly and sends nothing', async () => {
    webauthn.get = () => Promise.reject(new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError'));
    await create();
    await clickPasskeyButton();
    http.expectNone('/auth/passkey/login');
    expect(alerts(el)).toEqual([PASSKEY_SIGN_IN_CANCELLED]);
    expect(passkeyButton().disabled).toBe(false);
  });

  it('too many attempts: the wait, from the options or the login', async () => {
    await create();
    passkeyButton().click();
    const slow = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 600 });
    http.expectOne('/auth/passkey/options').flush(slow.body, slow.opts);
    await settle();
    expect(alerts(el)).toEqual(['Too many login attempts. Please wait 10 minutes and try again.']);
    expect(prompts).toEqual([]);

    await clickPasskeyButton();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 120 });
    http.expectOne('/auth/passkey/login').flush(tooMany.body, tooMany.opts);
    await settle();
    expect(alerts(el)).toEqual(['Too many attempts. Please wait 2 minutes before trying again.']);
  });

  it('a password attempt clears the passkey message', async () => {
    await create();
    await clickPasskeyButton();
    const unknown = errorResponse(400, 'PASSKEY_FAILED');
    http.expectOne('/auth/passkey/login').flush(unknown.body, unknown.opts);
    await settle();
    typeInto(inputByLabel(el, 'Email'), 'ada@example.com');
    typeInto(inputByLabel(el, 'Password'), 'secret');
    buttonByText(el, 'Log in').click();
    await fixture.whenStable();
    expect(alerts(el)).toEqual([]);
    http.expectOne('/auth/login').flush({ user: aUser() });
    await settle();
  });

  describe('passkey autofill (conditional mediation)', () => {
    it('is not started where the browser cannot', async () => {
      await create();
      http.expectNone('/auth/passkey/options');
      expect(autofills).toEqual([]);
    });

    it('starts on page load with fresh options and is aborted when the page is left', async () => {
      webauthn.autofillAvailable = async () => true;
      await create();
      const started = await autofillStarted();
      expect(started.signal.aborted).toBe(false);
      expect(alerts(el)).toEqual([]);
      fixture.destroy();
      expect(started.signal.aborted).toBe(true);
    });

    it('leaving before the options arrive cancels the request; no conditional request starts', async () => {
      webauthn.autofillAvailable = async () => true;
      await create();
      const options = http.expectOne('/auth/passkey/options');
      fixture.destroy();
      expect(options.cancelled).toBe(true);
      expect(autofills).toEqual([]);
    });

    it('is aborted when the button starts its prompt, and starts again after a failure', async () => {
      webauthn.autofillAvailable = async () => true;
      await create();
      const first = await autofillStarted();
      await clickPasskeyButton();
      expect(first.signal.aborted).toBe(true);
      expect(alerts(el)).toEqual([]); // the aborted autofill says nothing
      const unknown = errorResponse(400, 'PASSKEY_FAILED');
      http.expectOne('/auth/passkey/login').flush(unknown.body, unknown.opts);
      const second = await autofillStarted();
      expect(second.signal.aborted).toBe(false);
      expect(alerts(el)).toEqual(['That passkey was not recognised. Sign in with your password, or try another passkey.']);
      fixture.destroy();
      expect(second.signal.aborted).toBe(true);
    });

    it('a passkey picked in the email field logs in like the button', async () => {
      webauthn.autofillAvailable = async () => true;
      await create();
      const started = await autofillStarted();
      started.choose(ASSERTION);
      await settle();
      const login = http.expectOne('/auth/passkey/login');
      expect(login.request.body).toEqual({ response: ASSERTION });
      expect(passkeyButton().disabled).toBe(true);
      login.flush({ user: aUser() });
      await settle();
      expect(TestBed.inject(Router).url).toBe('/dashboard');
      expect(prompts).toEqual([]);
    });
  });
});
