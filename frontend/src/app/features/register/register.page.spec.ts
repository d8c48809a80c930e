import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, tick, typeInto } from '../../../testing/test-utils';
import { RegisterPage } from './register.page';

describe('RegisterPage', () => {
  let fixture: ComponentFixture<RegisterPage>;
  let el: HTMLElement;
  let http: HttpTestingController;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(RegisterPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  async function fillAndSubmit(email: string, password: string): Promise<void> {
    typeInto(inputByLabel(el, 'Email'), email);
    typeInto(inputByLabel(el, 'Password'), password);
    await fixture.whenStable();
    buttonByText(el, 'Create account').click();
    await fixture.whenStable();
  }

  it('requires a valid email and at least 12 characters', async () => {
    await fillAndSubmit('not-an-email', 'short');
    expect(alerts(el)).toEqual(['Enter a valid email address.', 'Use at least 12 characters.']);
    expect(inputByLabel(el, 'Password')?.getAttribute('autocomplete')).toBe('new-password');
    http.expectNone('/auth/register');
  });

  it('creates the account and opens the dashboard', async () => {
    await fillAndSubmit('ada@example.com', 'correct horse battery');
    const req = http.expectOne('/auth/register');
    expect(req.request.body).toEqual({ email: 'ada@example.com', password: 'correct horse battery' });
    req.flush({ user: aUser() }, { status: 201, statusText: 'Created' });
    await tick();
    expect(TestBed.inject(Router).url).toBe('/dashboard');
  });

  it('explains a taken email and a server-side validation error', async () => {
    await fillAndSubmit('ada@example.com', 'correct horse battery');
    const taken = errorResponse(409, 'EMAIL_TAKEN');
    http.expectOne('/auth/register').flush(taken.body, taken.opts);
    await fixture.whenStable();
    expect(alerts(el).join(' ')).toContain('An account with this email already exists.');
    expect(el.querySelector('[role="alert"] a')?.textContent).toContain('Log in instead');

    buttonByText(el, 'Create account').click();
    const invalid = errorResponse(400, 'VALIDATION_FAILED', { fields: [{ field: 'email', message: 'must be a valid email address' }] });
    http.expectOne('/auth/register').flush(invalid.body, invalid.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Email must be a valid email address.']);

    buttonByText(el, 'Create account').click();
    const weak = errorResponse(400, 'VALIDATION_FAILED', { fields: [{ field: 'password', message: 'is too easy to guess. This is a commonly used password' }] });
    http.expectOne('/auth/register').flush(weak.body, weak.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Password is too easy to guess. This is a commonly used password.']);
  });

  describe('the password rule the server applies (@twofa/password-policy), loaded in the background', () => {
    const hint = () => el.querySelector('#register-password-hint')?.textContent?.trim();
    /** The hint while typing; once the field was left, the error shows the same words. */
    const feedback = () => [hint(), el.querySelector('#register-password-error')?.textContent?.trim()].filter(Boolean).join(' | ');

    /** Types, then waits until the rule (and its dictionaries) has loaded and judged the value. */
    async function typeAndRate(email: string, password: string, expected: string | RegExp, leaveField = true): Promise<void> {
      typeInto(inputByLabel(el, 'Email'), email);
      const input = inputByLabel(el, 'Password')!;
      if (leaveField) typeInto(input, password);
      else {
        input.value = password; // still typing: no blur
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      await vi.waitFor(
        async () => {
          fixture.detectChanges();
          await fixture.whenStable();
          expect(feedback()).toMatch(expected);
        },
        { timeout: 8_000, interval: 50 },
      );
    }

    it('rates the password while it is typed', async () => {
      expect(hint()).toBe('At least 12 characters. A passphrase of a few words works well.');
      await typeAndRate('ada@example.com', 'correct horse battery staple', 'Strong password.', false);
      await typeAndRate('ada@example.com', '123456789012', 'Password is too easy to guess. This is a commonly used password. Add more words that are less common.', false);
      expect(hint()).toBe('Password is too easy to guess. This is a commonly used password. Add more words that are less common.');
      await typeAndRate('ada@example.com', 'short', 'At least 12 characters. A passphrase of a few words works well.', false);
      // once the field is left, the error says it and the hint goes back to the advice
      await typeAndRate('ada@example.com', '123456789012', 'At least 12 characters. A passphrase of a few words works well. | Password is too easy to guess.');
    }, 20_000);

    it('refuses a common password before sending it, in the server\'s words', async () => {
      await typeAndRate('ada@example.com', 'passwordpassword', /Password is too easy to guess\./);
      buttonByText(el, 'Create account').click();
      await fixture.whenStable();
      expect(alerts(el)).toEqual([
        'Password is too easy to guess. Repeated character patterns like "abcabcabc" are easy to guess. Add more words that are less common. Avoid repeated words and characters.',
      ]);
      http.expectNone('/auth/register');
    }, 20_000);

    it('refuses a password that contains the name part of the email, and re-checks when the email changes', async () => {
      await typeAndRate('ada.lovelace@example.com', 'Ada.Lovelace1815', 'Password must not contain your email address or the name before the @.');
      buttonByText(el, 'Create account').click();
      await fixture.whenStable();
      expect(alerts(el)).toEqual(['Password must not contain your email address or the name before the @.']);
      http.expectNone('/auth/register');

      await typeAndRate('countess@example.com', 'Ada.Lovelace1815', /./);
      expect(alerts(el)).toEqual([]);
      buttonByText(el, 'Create account').click();
      await fixture.whenStable();
      http.expectOne('/auth/register');
    }, 20_000);
  });
});
