import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { proofForm, useDialogStubs } from '../../../../testing/proof-dialog';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../../testing/test-utils';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { RegenerateBackupCodes } from './regenerate-backup-codes';

const CODES = Array.from({ length: 10 }, (_, i) => `wxyz-abc${i}`);

describe('RegenerateBackupCodes (the password AND a second factor, asked together: rule 7)', () => {
  useDialogStubs();
  let http: HttpTestingController;
  let fixture: ComponentFixture<RegenerateBackupCodes>;
  let el: HTMLElement;
  let regenerated: string[][];
  let form: ReturnType<typeof proofForm>;

  async function open(factors = { totp: true, passkeys: 0 }): Promise<void> {
    fixture.componentInstance.open(factors);
    await fixture.whenStable();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(RegenerateBackupCodes);
    el = fixture.nativeElement;
    form = proofForm(fixture, 'Create new codes');
    regenerated = [];
    fixture.componentInstance.regenerated.subscribe((c) => regenerated.push(c));
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  it('requires the password: a code alone is not sent', async () => {
    await open();
    expect(el.querySelector('[data-testid="regenerate-dialog"]')?.textContent?.replace(/\s+/g, ' ')).toContain(
      'Your old backup codes will stop working. Confirm with your password and a current code from your authenticator app.',
    );
    typeInto(inputByLabel(el, 'Authentication code'), '111222');
    await form.submit();
    http.expectNone('/auth/2fa/backup-codes');
    expect(alerts(el).join(' ')).toContain('Enter your password');
  });

  it('sends {password, code} once and hands over the new codes', async () => {
    await open();
    await form.fill('pw', '111 222');
    await form.submit();
    const req = http.expectOne('/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ password: 'pw', code: '111222' });
    req.flush({ backupCodes: CODES });
    await fixture.whenStable();
    expect(regenerated).toEqual([CODES]);
    expect(el.querySelector('dialog')?.hasAttribute('open')).toBe(false);
  });

  it('a wrong password, a replayed code and a lockout are said in words', async () => {
    await open();
    await form.fill('wrong', '111222');
    await form.submit();
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 2 });
    http.expectOne('/auth/2fa/backup-codes').flush(wrong.body, wrong.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Incorrect password. 2 attempts remaining.']);

    await form.fill('pw', '111222');
    await form.submit();
    const replay = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 1, reason: 'replay' });
    http.expectOne('/auth/2fa/backup-codes').flush(replay.body, replay.opts);
    await fixture.whenStable();
    expect(alerts(el)[0]).toContain('This code was already used.');
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('');

    await form.fill('pw', '333444');
    await form.submit();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 300 });
    http.expectOne('/auth/2fa/backup-codes').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many attempts. Please wait 5 minutes before trying again.']);
    expect(regenerated).toEqual([]);
  });

  it('a passkey-only account: a backup code first, and "Use a passkey" sends {password, passkey}', async () => {
    const assertion = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} };
    TestBed.inject(WebAuthnClient).get = async () => assertion as never;
    await open({ totp: false, passkeys: 1 });
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(inputByLabel(el, 'Backup code')).not.toBeNull();
    expect(el.textContent?.replace(/\s+/g, ' ')).toContain('one of your backup codes, or with a passkey.');

    typeInto(inputByLabel(el, 'Password'), 'pw');
    await fixture.whenStable();
    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cA', allowCredentials: [] });
    await new Promise((resolve) => setTimeout(resolve));
    const req = http.expectOne('/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ password: 'pw', passkey: assertion });
    req.flush({ backupCodes: CODES });
    await fixture.whenStable();
    expect(regenerated).toEqual([CODES]);
  });
});
