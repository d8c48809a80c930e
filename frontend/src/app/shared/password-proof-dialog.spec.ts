import { HttpClient } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { Component, inject, signal, viewChild } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { proofForm, useDialogStubs } from '../../testing/proof-dialog';
import { aUser, alerts, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../testing/test-utils';
import { PasswordAndProof } from '../core/auth/api.types';
import { PasswordProofDialog } from './password-proof-dialog';

const URL = '/test/factor-change';

@Component({
  imports: [PasswordProofDialog],
  template: `
    <app-password-proof-dialog
      idPrefix="test"
      heading="Change it?"
      submitLabel="Change it"
      [orPasskey]="orPasskey()"
      [action]="change"
      (done)="done.push($event)"
    >
      Lead words.
      <span afterProof>After words.</span>
    </app-password-proof-dialog>
  `,
})
class Host {
  private readonly http = inject(HttpClient);
  readonly dialog = viewChild.required<PasswordProofDialog<{ ok: boolean }>>(PasswordProofDialog);
  readonly orPasskey = signal(false);
  readonly done: { ok: boolean }[] = [];
  readonly change = (body: PasswordAndProof) => this.http.post<{ ok: boolean }>(URL, body);
}

describe('PasswordProofDialog (the password AND a second factor, in a modal <dialog>)', () => {
  useDialogStubs();
  let http: HttpTestingController;
  let fixture: ComponentFixture<Host>;
  let el: HTMLElement;
  let form: ReturnType<typeof proofForm>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(Host);
    el = fixture.nativeElement;
    form = proofForm(fixture, 'Change it');
    await fixture.whenStable();
    fixture.componentInstance.dialog().open({ totp: true, passkeys: 0 });
    await fixture.whenStable();
  });

  afterEach(() => {
    vi.useRealTimers();
    http.verify();
  });

  const dialog = () => el.querySelector<HTMLElement>('[data-testid="test-dialog"]')!;
  const words = () => document.getElementById('test-description')?.textContent?.replace(/\s+/g, ' ').trim();

  it('labels the dialog by its heading and words, ids from the prefix', () => {
    expect(dialog().getAttribute('aria-labelledby')).toBe('test-title');
    expect(document.getElementById('test-title')?.textContent).toBe('Change it?');
    expect(dialog().getAttribute('aria-describedby')).toBe('test-description');
    expect(inputByLabel(el, 'Password')?.id).toBe('test-password');
    expect(inputByLabel(el, 'Authentication code')?.id).toBe('test-code');
  });

  it('the words follow the chosen factor, and mention the passkey when asked to', async () => {
    expect(words()).toBe('Lead words. Confirm with your password and a current code from your authenticator app. After words.');
    await form.useBackupCode();
    expect(words()).toBe('Lead words. Confirm with your password and one of your backup codes. After words.');
    fixture.componentInstance.orPasskey.set(true);
    await fixture.whenStable();
    expect(words()).toBe('Lead words. Confirm with your password and one of your backup codes, or with a passkey. After words.');
  });

  it('sends nothing until both parts are there', async () => {
    typeInto(inputByLabel(el, 'Password'), 'pw');
    await form.submit();
    http.expectNone(URL);
    expect(alerts(el)).toEqual(['The code is 6 digits, like 123456.']);
    expect(document.activeElement).toBe(inputByLabel(el, 'Authentication code'));
    typeInto(inputByLabel(el, 'Password'), '');
    typeInto(inputByLabel(el, 'Authentication code'), '123456');
    await form.submit();
    http.expectNone(URL);
    expect(alerts(el)).toEqual(['Enter your password.']);
    expect(document.activeElement).toBe(inputByLabel(el, 'Password'));
  });

  it('INVALID_PASSWORD: says so with the attempts left, clears and focuses the password only', async () => {
    await form.fill('wrong', '123456');
    await form.submit();
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 3 });
    http.expectOne(URL).flush(wrong.body, wrong.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Incorrect password. 3 attempts remaining.']);
    expect(inputByLabel(el, 'Password')!.value).toBe('');
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('123456');
    expect(document.activeElement).toBe(inputByLabel(el, 'Password'));
    expect(fixture.componentInstance.done).toEqual([]);
  });

  it('INVALID_CODE with reason "replay": asks for the next code, clears and focuses it', async () => {
    await form.fill('pw', '123456');
    await form.submit();
    const replay = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 2, reason: 'replay', retryInSeconds: 12 });
    http.expectOne(URL).flush(replay.body, replay.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['This code was already used. Wait for the next one (about 12 s). 2 attempts remaining.']);
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('');
    expect(inputByLabel(el, 'Password')!.value).toBe('pw');
    expect(document.activeElement).toBe(inputByLabel(el, 'Authentication code'));
  });

  it('a backup code already used says so and is cleared', async () => {
    await form.useBackupCode();
    await form.fill('pw', 'abcd-efgh', 'Backup code');
    await form.submit();
    const used = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 4, reason: 'backup_code_used' });
    http.expectOne(URL).flush(used.body, used.opts);
    await fixture.whenStable();
    expect(alerts(el)[0]).toContain('That backup code was already used');
    expect(inputByLabel(el, 'Backup code')!.value).toBe('');
  });

  it('TOO_MANY_ATTEMPTS: shows the wait, sends nothing and blocks the button until Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await form.fill('pw', '123456');
    await form.submit();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 600 });
    http.expectOne(URL).flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many attempts. Please wait 10 minutes before trying again.']);
    const button = buttonByText(el, 'Change it');
    expect(button.disabled).toBe(true);
    expect(buttonByText(el, 'Cancel').disabled).toBe(false);
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    http.expectNone(URL);
    vi.advanceTimersByTime(600_000);
    await fixture.whenStable();
    expect(button.disabled).toBe(false);
  });

  it('buttons and Escape wait while the request runs; success closes and hands over the answer', async () => {
    await form.fill('pw', '123456');
    await form.submit();
    expect(buttonByText(el, 'Change it').disabled).toBe(true);
    expect(buttonByText(el, 'Cancel').disabled).toBe(true);
    expect(buttonByText(el, 'Use a backup code instead').disabled).toBe(true);
    const escape = new Event('cancel', { cancelable: true });
    dialog().dispatchEvent(escape);
    expect(escape.defaultPrevented).toBe(true);
    http.expectOne(URL).flush({ ok: true });
    await fixture.whenStable();
    expect(fixture.componentInstance.done).toEqual([{ ok: true }]);
    expect(dialog().hasAttribute('open')).toBe(false);
  });

  it('Cancel closes it and forgets what was typed', async () => {
    await form.fill('pw', '123456');
    buttonByText(el, 'Cancel').click();
    await fixture.whenStable();
    expect(dialog().hasAttribute('open')).toBe(false);
    fixture.componentInstance.dialog().open({ totp: true, passkeys: 0 });
    await fixture.whenStable();
    expect(inputByLabel(el, 'Password')!.value).toBe('');
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('');
  });
});
