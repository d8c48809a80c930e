import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { alerts, buttonByText, errorResponse, provideTestApp } from '../../../testing/test-utils';
import { EnrolmentLinkNotice } from './enrolment-link-notice';

describe('EnrolmentLinkNotice (no link on this browser after an admin reset)', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: provideTestApp() }));

  it('says where the link is; "Send the link again" asks for a fresh one, and a 429 says how long to wait', async () => {
    const http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(EnrolmentLinkNotice);
    const el: HTMLElement = fixture.nativeElement;
    await fixture.whenStable();
    expect(el.textContent).toContain('We emailed you a link to set up two-factor authentication again. Open it on this browser.');

    buttonByText(el, 'Send the link again').click();
    http.expectOne('/auth/2fa/enrolment-link').flush({ message: 'sent' }, { status: 202, statusText: 'Accepted' });
    await fixture.whenStable();
    expect(el.textContent).toContain('A new link is on its way');

    buttonByText(el, 'Send the link again').click();
    const tooMany = errorResponse(429, 'TOO_MANY_REQUESTS', { retryAfterSeconds: 120 });
    http.expectOne('/auth/2fa/enrolment-link').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many requests for a link. Please wait 2 minutes and try again.']);
    http.verify();
  });
});
