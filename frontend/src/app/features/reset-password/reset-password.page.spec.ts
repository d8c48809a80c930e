import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { SessionStore } from '../../core/auth/session.store';
import { BlankPage, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, tick, typeInto } from '../../../testing/test-utils';
import { PASSWORD_RESET_NOTICE, ResetPasswordPage, tokenFromFragment } from './reset-password.page';

const TOKEN = 'A'.repeat(43);

describe('tokenFromFragment', () => {
  it('reads #token=… and refuses anything else', () => {
    expect(tokenFromFragment(`token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromFragment(null)).toBeNull();
    expect(tokenFromFragment('token=<script>')).toBeNull();
    expect(tokenFromFragment('other=1')).toBeNull();
  });
});

describe('ResetPasswordPage', () => {
  let http: HttpTestingController;
  let el: HTMLElement;

  let fixture: ComponentFixture<ResetPasswordPage>;
  const stable = () => fixture.whenStable();

  /** Opens the page the way the email link does: /reset-password#<fragment>. */
  async function open(fragment: string): Promise<void> {
    TestBed.configureTestingModule({
      providers: provideTestApp([
        { path: 'reset-password', component: BlankPage },
        { path: 'login', component: BlankPage },
        { path: 'forgot-password', component: BlankPage },
      ]),
    });
    http = TestBed.inject(HttpTestingController);
    await TestBed.inject(Router).navigateByUrl(`/reset-password${fragment ? `#${fragment}` : ''}`);
    fixture = TestBed.createComponent(ResetPasswordPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
  }

  afterEach(() => http.verify());

  it('checks the link, shows the account, and sets the new password; then sends the user to log in', async () => {
    await open(`token=${TOKEN}`);
    const check = http.expectOne('/auth/password/reset/check');
    expect(check.request.body).toEqual({ token: TOKEN });
    check.flush({ email: 'ada@example.com' });
    await stable();
    expect(el.querySelector('[data-testid="reset-email"]')?.textContent).toBe('ada@example.com');
    const field = inputByLabel(el, 'New password')!;
    expect(field.getAttribute('autocomplete')).toBe('new-password');

    typeInto(field, 'violet tractor sings at midnight');
    await stable();
    buttonByText(el, 'Set new password').click();
    await stable();
    const reset = http.expectOne('/auth/password/reset');
    expect(reset.request.body).toEqual({ token: TOKEN, password: 'violet tractor sings at midnight' });
    reset.flush({ message: 'ok' });
    await tick();
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(TestBed.inject(SessionStore).takeNotice()).toBe(PASSWORD_RESET_NOTICE);
  });

  it('an expired, used or forged link says so and offers a new one, with no form', async () => {
    await open(`token=${TOKEN}`);
    const expired = errorResponse(400, 'RESET_LINK_EXPIRED');
    http.expectOne('/auth/password/reset/check').flush(expired.body, expired.opts);
    await stable();
    expect(alerts(el)).toEqual(['RESET_LINK_EXPIRED message']);
    expect(inputByLabel(el, 'New password')).toBeNull();
    expect(el.querySelector('a[href="/forgot-password"]')?.textContent).toBe('Ask for a new link');
  });

  it('a link without a token never calls the API', async () => {
    await open('');
    expect(alerts(el)[0]).toContain('This link is incomplete');
    http.expectNone('/auth/password/reset/check');
  });

  it('a password the server refuses is shown under the form; the link stays usable', async () => {
    await open(`token=${TOKEN}`);
    http.expectOne('/auth/password/reset/check').flush({ email: 'ada@example.com' });
    await stable();
    typeInto(inputByLabel(el, 'New password'), 'violet tractor sings at midnight');
    await stable();
    buttonByText(el, 'Set new password').click();
    await stable();
    const bad = errorResponse(400, 'VALIDATION_FAILED', { fields: [{ field: 'password', message: 'is too common' }] });
    http.expectOne('/auth/password/reset').flush(bad.body, bad.opts);
    await stable();
    expect(alerts(el)).toEqual(['Password is too common.']);
    expect(inputByLabel(el, 'New password')).not.toBeNull();
  });
});
