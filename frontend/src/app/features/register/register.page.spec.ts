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
  });
});
