import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../testing/test-utils';
import { ChangePasswordCard, PASSWORD_CHANGED_NOTICE } from './change-password-card';

const NEW = 'violet tractor sings at midnight';

describe('ChangePasswordCard', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<ChangePasswordCard>;
  let el: HTMLElement;
  let changed: number;

  async function create(twoFactorEnabled: boolean): Promise<void> {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled }));
    fixture = TestBed.createComponent(ChangePasswordCard);
    fixture.componentRef.setInput('twoFactorEnabled', twoFactorEnabled);
    el = fixture.nativeElement;
    changed = 0;
    fixture.componentInstance.changed.subscribe(() => changed++);
    await fixture.whenStable();
    buttonByText(el, 'Change password').click();
    await fixture.whenStable();
  }

  afterEach(() => http.verify());

  async function fill(current: string, next: string, code?: string): Promise<void> {
    typeInto(inputByLabel(el, 'Current password'), current);
    typeInto(inputByLabel(el, 'New password'), next);
    if (code !== undefined) typeInto(inputByLabel(el, 'Authentication code'), code);
    await fixture.whenStable();
    buttonByText(el, 'Save new password').click();
    await fixture.whenStable();
  }

  it('without 2FA: asks no code and sends {currentPassword, newPassword}', async () => {
    await create(false);
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    await fill('old password here', NEW);
    const req = http.expectOne('/auth/password/change');
    expect(req.request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW });
    req.flush({ message: 'Password changed', user: aUser() });
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="password-changed"]')?.textContent?.trim()).toBe(PASSWORD_CHANGED_NOTICE);
    expect(changed).toBe(1);
  });

  it('with 2FA: the code is required, and a backup code can be used instead', async () => {
    await create(true);
    await fill('old password here', NEW, '');
    expect(alerts(el)).toContain('The code is 6 digits, like 123456.');
    http.expectNone('/auth/password/change');

    typeInto(inputByLabel(el, 'Authentication code'), '123 456');
    await fixture.whenStable();
    buttonByText(el, 'Save new password').click();
    await fixture.whenStable();
    const first = http.expectOne('/auth/password/change');
    expect(first.request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW, code: '123456' });
    first.flush({ message: 'Password changed', user: aUser({ twoFactorEnabled: true }) });
    await fixture.whenStable();

    buttonByText(el, 'Change password').click();
    await fixture.whenStable();
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    typeInto(inputByLabel(el, 'Current password'), 'old password here');
    typeInto(inputByLabel(el, 'New password'), NEW);
    typeInto(inputByLabel(el, 'Backup code'), 'ABCD-EFGH');
    await fixture.whenStable();
    buttonByText(el, 'Save new password').click();
    await fixture.whenStable();
    expect(http.expectOne('/auth/password/change').request.body).toEqual({ currentPassword: 'old password here', newPassword: NEW, backupCode: 'ABCD-EFGH' });
  });

  it('a wrong current password says so with the attempts left', async () => {
    await create(false);
    await fill('wrong password', NEW);
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 3 });
    http.expectOne('/auth/password/change').flush(wrong.body, wrong.opts);
    await fixture.whenStable();
    http.expectNone('/auth/refresh');
    expect(alerts(el)[0]).toMatch(/^Your current password is incorrect\./);
    expect(alerts(el)[0]).toContain('3');
    expect(changed).toBe(0);
  });
});
