import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, typeInto } from '../../../testing/test-utils';
import { ForgotPasswordPage } from './forgot-password.page';

const ANSWER = 'If an account exists for this email, a link to reset its password is on its way.';

describe('ForgotPasswordPage', () => {
  let fixture: ComponentFixture<ForgotPasswordPage>;
  let el: HTMLElement;
  let http: HttpTestingController;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(ForgotPasswordPage);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  async function send(email: string): Promise<void> {
    typeInto(inputByLabel(el, 'Email'), email);
    buttonByText(el, 'Send reset link').click();
    await fixture.whenStable();
  }

  it('checks the email before calling the API', async () => {
    buttonByText(el, 'Send reset link').click();
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Enter your email address.']);
    http.expectNone('/auth/password/forgot');
  });

  it('sends the trimmed email and shows the server’s answer (the same for any address)', async () => {
    await send(' ada@example.com ');
    const req = http.expectOne('/auth/password/forgot');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ email: 'ada@example.com' });
    req.flush({ message: ANSWER }, { status: 202, statusText: 'Accepted' });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="forgot-sent"]')?.textContent?.trim()).toBe(ANSWER);
    expect(inputByLabel(el, 'Email')).toBeNull();
  });

  it('says how long to wait after 429', async () => {
    await send('ada@example.com');
    const tooMany = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 120 });
    http.expectOne('/auth/password/forgot').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many requests. Please wait 2 minutes and try again.']);
  });
});
