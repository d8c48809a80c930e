import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { LoginFlow } from '../../core/auth/login-flow';
import { AUTH_MESSAGES, SessionStore } from '../../core/auth/session.store';
import {
  aUser,
  alerts,
  buttonByText,
  errorResponse,
  inputByLabel,
  provideTestApp,
  tick,
  typeInto,
} from '../../../testing/test-utils';
import { WebAuthnClient } from '../../core/passkeys/webauthn-client';
import { TwoFactorPage } from './two-factor.page';

describe('TwoFactorPage (the code form)', () => {
  let fixture: ComponentFixture<TwoFactorPage>;
  let el: HTMLElement;
  let http: HttpTestingController;
  let router: Router;

  beforeEach(async () => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    router = TestBed.inject(Router);
    // A login that answered requires2FA:
    TestBed.inject(LoginFlow).login({ email: 'ada@example.com', password: 'pw' }).subscribe();
    http.expectOne('/auth/login').flush({ requires2FA: true });
    fixture = TestBed.createComponent(TwoFactorPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  const codeInput = () => inputByLabel(el, 'Authentication code');

  async function submitCode(value: string): Promise<void> {
    typeInto(codeInput(), value);
    await fixture.whenStable();
    buttonByText(el, 'Verify').click();
    await fixture.whenStable();
  }

  function expectVerify(): TestRequest {
    const req = http.expectOne('/auth/2fa/verify-login');
    expect(req.request.method).toBe('POST');
    return req;
  }

  it('has an accessible one-time-code input', () => {
    const input = codeInput();
    expect(input).not.toBeNull();
    expect(input!.getAttribute('autocomplete')).toBe('one-time-code');
    expect(input!.getAttribute('inputmode')).toBe('numeric');
    expect(input!.type).toBe('text');
    expect(document.activeElement).toBe(input);
  });

  it.each(['12345', '1234567', '12a456', 'abcdef'])('refuses %j without calling the API', async (value) => {
    await submitCode(value);
    http.expectNone('/auth/2fa/verify-login');
    expect(alerts(el)).toContain('The code is 6 digits, like 123456.');
    expect(codeInput()!.getAttribute('aria-invalid')).toBe('true');
  });

  it('asks for the code when the field is empty', async () => {
    buttonByText(el, 'Verify').click();
    await fixture.whenStable();
    http.expectNone('/auth/2fa/verify-login');
    expect(alerts(el)).toContain('Enter the 6-digit code.');
  });

  it('sends rememberDevice only when "Remember this device" is ticked', async () => {
    const box = el.querySelector<HTMLInputElement>('#two-factor-remember')!;
    expect(el.querySelector('label[for="two-factor-remember"]')!.textContent).toContain('Remember this device for 30 days');
    box.click();
    await fixture.whenStable();
    await submitCode('654321');
    const req = expectVerify();
    expect(req.request.body).toEqual({ code: '654321', rememberDevice: true });
    req.flush({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }) });
    await tick();
  });

  it('accepts a pasted "123 456", sends {code:"123456"} and opens the dashboard', async () => {
    await submitCode('123 456');
    const req = expectVerify();
    expect(req.request.body).toEqual({ code: '123456' });
    req.flush({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }) });
    await tick();
    expect(router.url).toBe('/dashboard');
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(true);
  });

  it('shows an invalid code with the attempts remaining, and clears the field', async () => {
    await submitCode('000000');
    const { body, opts } = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 3 });
    expectVerify().flush(body, opts);
    await fixture.whenStable();
    expect(alerts(el).join(' ')).toContain('That code didn’t work. 3 attempts remaining.');
    expect(codeInput()!.value).toBe('');
  });

  it('says when a right code was already used (replay): wait for the next one, about N s', async () => {
    await submitCode('123456');
    const { body, opts } = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4, reason: 'replay', retryInSeconds: 18 });
    expectVerify().flush(body, opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['This code was already used. Wait for the next one (about 18 s). 4 attempts remaining.']);
    expect(codeInput()!.value).toBe('');
  });

  it('never says how far a code was off at the login step (rule 19), even when a server sends clock_drift', async () => {
    await submitCode('654321');
    const { body, opts } = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 3, reason: 'clock_drift', driftSeconds: -120 });
    expectVerify().flush(body, opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['That code didn’t work. 3 attempts remaining.']);
    expect(el.textContent).not.toMatch(/clock|slow|fast|minutes/);
  });

  it('says a spent backup code was already used', async () => {
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    typeInto(inputByLabel(el, 'Backup code'), 'abcd-efgh');
    await fixture.whenStable();
    buttonByText(el, 'Verify').click();
    const { body, opts } = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4, reason: 'backup_code_used' });
    expectVerify().flush(body, opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['That backup code was already used: each one works once. Try another one. 4 attempts remaining.']);
  });

  it('shows the wait after too many attempts and blocks the button meanwhile', async () => {
    await submitCode('000000');
    const { body, opts } = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 120 });
    expectVerify().flush(body, opts);
    await fixture.whenStable();
    expect(alerts(el).join(' ')).toContain('Too many attempts. Please wait 2 minutes before trying again.');
    expect(buttonByText(el, 'Verify').disabled).toBe(true);
  });

  it('goes back to /login with a message when the login attempt expired', async () => {
    await submitCode('123456');
    const { body, opts } = errorResponse(401, 'SESSION_EXPIRED');
    expectVerify().flush(body, opts);
    http.expectNone('/auth/refresh');
    await tick();
    expect(router.url).toBe('/login');
    expect(TestBed.inject(LoginFlow).twoFactorPending()).toBe(false);
    expect(TestBed.inject(SessionStore).takeNotice()).toBe(AUTH_MESSAGES.loginAttemptExpired);
  });

  it('"Use a backup code instead" switches to a Backup code input and sends {backupCode}', async () => {
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    const backup = inputByLabel(el, 'Backup code');
    expect(backup).not.toBeNull();
    expect(document.activeElement).toBe(backup);

    typeInto(backup, 'abcd efgh');
    await fixture.whenStable();
    buttonByText(el, 'Verify').click();
    const req = expectVerify();
    expect(req.request.body).toEqual({ backupCode: 'abcd-efgh' });
    req.flush({ message: '2FA verified', user: aUser() });
    await tick();
    expect(router.url).toBe('/dashboard');
  });

  it('"Back to login" abandons the challenge', async () => {
    buttonByText(el, 'Back to login').click();
    http.expectOne('/auth/logout').flush({ message: 'Logged out' });
    await tick();
    expect(router.url).toBe('/login');
    expect(TestBed.inject(LoginFlow).twoFactorPending()).toBe(false);
  });
});

describe('TwoFactorPage with a passkey (methods include "passkey")', () => {
  let fixture: ComponentFixture<TwoFactorPage>;
  let el: HTMLElement;
  let http: HttpTestingController;
  let router: Router;
  const webauthn = { supported: vi.fn(() => true), create: vi.fn(), get: vi.fn() };
  const OPTIONS = { challenge: 'c2lnbiBtZQ', allowCredentials: [], userVerification: 'required' };
  const ASSERTION = { id: 'cred-1', rawId: 'cred-1', type: 'public-key', response: {}, clientExtensionResults: {} };

  async function start(methods: string[]): Promise<void> {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: [...provideTestApp(), { provide: WebAuthnClient, useValue: webauthn }] });
    http = TestBed.inject(HttpTestingController);
    router = TestBed.inject(Router);
    TestBed.inject(LoginFlow).login({ email: 'ada@example.com', password: 'pw' }).subscribe();
    http.expectOne('/auth/login').flush({ requires2FA: true, methods });
    fixture = TestBed.createComponent(TwoFactorPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
  }

  beforeEach(() => (webauthn.get = vi.fn()));
  afterEach(() => http.verify());

  /** Clicks the button and answers the options call; the browser's prompt is `webauthn.get`. */
  async function usePasskey(): Promise<void> {
    buttonByText(el, 'Use a passkey or security key').click();
    const options = http.expectOne('/auth/2fa/passkey-options');
    expect(options.request.method).toBe('POST');
    options.flush(OPTIONS);
    await tick();
    await fixture.whenStable();
  }

  it('offers the button next to the code field; the browser signs; verify-login gets {passkey, rememberDevice}', async () => {
    await start(['totp', 'passkey', 'backup_code']);
    expect(inputByLabel(el, 'Authentication code')).not.toBeNull();
    el.querySelector<HTMLInputElement>('#two-factor-remember')!.click();
    await fixture.whenStable();
    webauthn.get.mockResolvedValue(ASSERTION);
    await usePasskey();
    expect(webauthn.get).toHaveBeenCalledWith(OPTIONS);
    const verify = http.expectOne('/auth/2fa/verify-login');
    expect(verify.request.body).toEqual({ passkey: ASSERTION, rememberDevice: true });
    verify.flush({ message: '2FA verified', user: aUser({ twoFactorEnabled: true }) });
    await tick();
    expect(router.url).toBe('/dashboard');
  });

  it('no button when the account has no passkey', async () => {
    await start(['totp', 'backup_code']);
    expect(() => buttonByText(el, 'Use a passkey or security key')).toThrow();
  });

  it('a passkey-only account: no code field, the passkey button and backup codes', async () => {
    await start(['passkey', 'backup_code']);
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(() => buttonByText(el, 'Verify')).toThrow();
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Backup code')).not.toBeNull();
    expect(buttonByText(el, 'Use a passkey or security key')).toBeTruthy();
    buttonByText(el, 'Use your passkey or security key instead').click();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Backup code')).toBeNull();
  });

  it('a browser refusal (cancelled, timed out, user verification failed) says so clearly and calls nothing else', async () => {
    await start(['totp', 'passkey', 'backup_code']);
    const refusal = new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError');
    // A plain function: a vi.fn() that returns a rejected promise reports it to the test as well.
    const asked: unknown[] = [];
    webauthn.get = ((options: unknown) => (asked.push(options), Promise.reject(refusal))) as typeof webauthn.get;
    await usePasskey();
    expect(asked).toEqual([OPTIONS]);
    http.expectNone('/auth/2fa/verify-login');
    expect(alerts(el)).toEqual(["Your passkey or security key did not confirm it's you. Try again or use a code."]);
    expect(buttonByText(el, 'Use a passkey or security key').disabled).toBe(false);
  });

  it('PASSKEY_FAILED shows the API’s message with the attempts left (user verification: the same clear words)', async () => {
    await start(['passkey', 'backup_code']);
    webauthn.get.mockResolvedValue(ASSERTION);
    await usePasskey();
    const failed = errorResponse(400, 'PASSKEY_FAILED', { attemptsRemaining: 3 });
    http.expectOne('/auth/2fa/verify-login').flush(failed.body, failed.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['PASSKEY_FAILED message 3 attempts remaining.']);

    await usePasskey();
    const uv = errorResponse(400, 'PASSKEY_FAILED', { attemptsRemaining: 2, reason: 'user_verification' });
    http.expectOne('/auth/2fa/verify-login').flush(uv.body, uv.opts);
    await fixture.whenStable();
    // a passkey-only account: its way out is a backup code, not a code from an app it does not have
    expect(alerts(el)).toEqual(["Your passkey or security key did not confirm it's you. Try again or use a backup code. 2 attempts remaining."]);
  });

  it('a dead login challenge at passkey-options goes back to /login', async () => {
    await start(['passkey', 'backup_code']);
    buttonByText(el, 'Use a passkey or security key').click();
    const expired = errorResponse(401, 'SESSION_EXPIRED');
    http.expectOne('/auth/2fa/passkey-options').flush(expired.body, expired.opts);
    http.expectNone('/auth/refresh');
    await tick();
    expect(router.url).toBe('/login');
    expect(webauthn.get).not.toHaveBeenCalled();
  });
});
