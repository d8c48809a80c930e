import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { alerts, aUser, buttonByText, errorResponse, inputByLabel, provideTestApp, signIn, typeInto } from '../../../../testing/test-utils';
import { WebAuthnClient } from '../../../core/passkeys/webauthn-client';
import { RegenerateBackupCodes } from './regenerate-backup-codes';

const CODES = Array.from({ length: 10 }, (_, i) => `wxyz-abc${i}`);

describe('RegenerateBackupCodes (a code or a backup code, and the password when asked)', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<RegenerateBackupCodes>;
  let el: HTMLElement;
  let regenerated: string[][];
  let cancelled: number;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: provideTestApp() });
    http = TestBed.inject(HttpTestingController);
    signIn(aUser({ twoFactorEnabled: true }));
    fixture = TestBed.createComponent(RegenerateBackupCodes);
    el = fixture.nativeElement;
    regenerated = [];
    cancelled = 0;
    fixture.componentInstance.regenerated.subscribe((c) => regenerated.push(c));
    fixture.componentInstance.cancelled.subscribe(() => cancelled++);
    await fixture.whenStable();
  });

  afterEach(() => http.verify());

  async function submit(): Promise<void> {
    buttonByText(el, 'Create new codes').click();
    await fixture.whenStable();
  }

  it('sends {code} and hands over the new codes', async () => {
    expect(inputByLabel(el, 'Password')).toBeNull();
    typeInto(inputByLabel(el, 'Authentication code'), '111 222');
    await submit();
    const req = http.expectOne('/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ code: '111222' });
    expect(buttonByText(el, 'Create new codes').disabled).toBe(true);
    req.flush({ backupCodes: CODES });
    await fixture.whenStable();
    expect(regenerated).toEqual([CODES]);
  });

  it('sends {backupCode} after "Use a backup code instead"', async () => {
    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    typeInto(inputByLabel(el, 'Backup code'), 'abcd-efgh');
    await submit();
    const req = http.expectOne('/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ backupCode: 'abcd-efgh' });
    req.flush({ backupCodes: CODES });
    await fixture.whenStable();
    expect(regenerated).toHaveLength(1);
  });

  it('REAUTH_REQUIRED: asks for the password, keeps the code, sends both', async () => {
    typeInto(inputByLabel(el, 'Authentication code'), '111222');
    await submit();
    const reauth = errorResponse(401, 'REAUTH_REQUIRED');
    http.expectOne('/auth/2fa/backup-codes').flush(reauth.body, reauth.opts);
    http.expectNone('/auth/refresh');
    await fixture.whenStable();
    expect(alerts(el).join(' ')).toContain('For your security, confirm your password to continue.');
    typeInto(inputByLabel(el, 'Password'), 'pw');
    await submit();
    const req = http.expectOne('/auth/2fa/backup-codes');
    expect(req.request.body).toEqual({ code: '111222', password: 'pw' });
    const wrong = errorResponse(401, 'INVALID_PASSWORD', { attemptsRemaining: 2 });
    req.flush(wrong.body, wrong.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Incorrect password. 2 attempts remaining.']);
    expect(inputByLabel(el, 'Password')!.value).toBe('');
  });

  it('shows a replayed code and a lockout in words', async () => {
    typeInto(inputByLabel(el, 'Authentication code'), '111222');
    await submit();
    const replay = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 1, reason: 'replay' });
    http.expectOne('/auth/2fa/backup-codes').flush(replay.body, replay.opts);
    await fixture.whenStable();
    expect(alerts(el)[0]).toContain('This code was already used.');
    expect(alerts(el)[0]).toContain('1 attempt remaining.');
    expect(inputByLabel(el, 'Authentication code')!.value).toBe('');

    typeInto(inputByLabel(el, 'Authentication code'), '333444');
    await submit();
    const tooMany = errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 300 });
    http.expectOne('/auth/2fa/backup-codes').flush(tooMany.body, tooMany.opts);
    await fixture.whenStable();
    expect(alerts(el)).toEqual(['Too many attempts. Please wait 5 minutes before trying again.']);
  });

  it('"Cancel" tells the parent without calling the API', async () => {
    buttonByText(el, 'Cancel').click();
    expect(cancelled).toBe(1);
    http.expectNone('/auth/2fa/backup-codes');
  });

  it('without passkeys "Use a passkey" is not offered', () => {
    expect(() => buttonByText(el, 'Use a passkey')).toThrow();
  });

  it('a passkey-only account: a backup code first, no app switch; "Use a passkey" sends {passkey} (and the password once asked)', async () => {
    const assertion = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} };
    TestBed.inject(WebAuthnClient).get = async () => assertion as never;
    fixture.destroy();
    fixture = TestBed.createComponent(RegenerateBackupCodes);
    fixture.componentRef.setInput('totp', false);
    fixture.componentRef.setInput('passkeys', 1);
    el = fixture.nativeElement;
    fixture.componentInstance.regenerated.subscribe((c) => regenerated.push(c));
    await fixture.whenStable();
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(inputByLabel(el, 'Backup code')).not.toBeNull();
    expect(() => buttonByText(el, 'Use a code from your app instead')).toThrow();
    expect(el.textContent?.replace(/\s+/g, ' ')).toContain('Enter one of your backup codes, or use a passkey.');

    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cA', allowCredentials: [] });
    await new Promise((resolve) => setTimeout(resolve));
    const first = http.expectOne('/auth/2fa/backup-codes');
    expect(first.request.body).toEqual({ passkey: assertion });
    const reauth = errorResponse(401, 'REAUTH_REQUIRED');
    first.flush(reauth.body, reauth.opts);
    await fixture.whenStable();
    expect(alerts(el).join(' ')).toContain('For your security, confirm your password to continue.');

    typeInto(inputByLabel(el, 'Password'), 'pw');
    await fixture.whenStable();
    buttonByText(el, 'Use a passkey').click();
    http.expectOne('/auth/2fa/passkeys/proof-options').flush({ challenge: 'cB', allowCredentials: [] });
    await new Promise((resolve) => setTimeout(resolve));
    const second = http.expectOne('/auth/2fa/backup-codes');
    expect(second.request.body).toEqual({ passkey: assertion, password: 'pw' });
    second.flush({ backupCodes: CODES });
    await fixture.whenStable();
    expect(regenerated).toEqual([CODES]);
  });
});
