import { HttpErrorResponse } from '@angular/common/http';
import { HttpTestingController } from '@angular/common/http/testing';
import { Component, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { WebAuthnClient } from '../core/passkeys/webauthn-client';
import { buttonByText, errorResponse, inputByLabel, provideTestApp, typeInto } from '../../testing/test-utils';
import { SecondFactorProofFields, secondFactorProof } from './second-factor-proof';

const ASSERTION = { id: 'c', rawId: 'c', type: 'public-key', response: {}, clientExtensionResults: {} };

@Component({
  imports: [SecondFactorProofFields],
  template: `<app-second-factor-proof idPrefix="t" [proof]="proof" [submitted]="submitted()" [busy]="busy()" (switched)="switched = switched + 1" (passkeyRequested)="asked = asked + 1" />`,
})
class Host {
  readonly proof = secondFactorProof();
  readonly submitted = signal(false);
  readonly busy = signal(false);
  switched = 0;
  asked = 0;
}

describe('SecondFactorProof (code | backup code | passkey, shared by the four proof forms)', () => {
  let fixture: ComponentFixture<Host>;
  let host: Host;
  let el: HTMLElement;
  let http: HttpTestingController;
  let webauthn: { get: (o: unknown) => Promise<unknown> };

  beforeEach(() => {
    webauthn = { get: async () => ASSERTION };
    TestBed.configureTestingModule({ providers: [...provideTestApp(), { provide: WebAuthnClient, useFactory: () => webauthn }] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(Host);
    host = fixture.componentInstance;
    el = fixture.nativeElement;
  });

  afterEach(() => {
    vi.useRealTimers();
    http.verify();
  });

  async function show(factors: { totp: boolean; passkeys: number }): Promise<void> {
    host.proof.reset(factors);
    fixture.changeDetectorRef.markForCheck();
    await fixture.whenStable();
  }

  it('with the app: a code first, the switch to a backup code and back, no passkey button without passkeys', async () => {
    await show({ totp: true, passkeys: 0 });
    const code = inputByLabel(el, 'Authentication code')!;
    expect(code.id).toBe('t-code');
    expect(code.getAttribute('autocomplete')).toBe('one-time-code');
    expect(() => buttonByText(el, 'Use a passkey')).toThrow();
    typeInto(code, '123 456');
    expect(host.proof.value()).toEqual({ code: '123456' });

    buttonByText(el, 'Use a backup code instead').click();
    await fixture.whenStable();
    expect(host.switched).toBe(1);
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    const backup = inputByLabel(el, 'Backup code')!;
    expect(backup.id).toBe('t-backup-code');
    expect(backup.value).toBe('');
    typeInto(backup, 'ABCDEFGH');
    expect(host.proof.invalid()).toBe(false);
    expect(host.proof.value()).toEqual({ backupCode: 'ABCD-EFGH' });
    expect(host.proof.group.controls.code.enabled).toBe(false);

    buttonByText(el, 'Use a code from your app instead').click();
    await fixture.whenStable();
    expect(inputByLabel(el, 'Authentication code')).not.toBeNull();
  });

  it('a passkey-only account: the backup code first, no app switch, and "Use a passkey"', async () => {
    await show({ totp: false, passkeys: 2 });
    expect(inputByLabel(el, 'Authentication code')).toBeNull();
    expect(inputByLabel(el, 'Backup code')).not.toBeNull();
    expect(() => buttonByText(el, 'Use a backup code instead')).toThrow();
    buttonByText(el, 'Use a passkey').click();
    expect(host.asked).toBe(1);
  });

  it('shows the field error only once submitted; busy disables the switches', async () => {
    await show({ totp: true, passkeys: 1 });
    expect(el.querySelector('[role="alert"]')).toBeNull();
    host.submitted.set(true);
    await fixture.whenStable();
    expect(el.querySelector('[role="alert"]')?.textContent?.trim()).toBe('The code is 6 digits, like 123456.');
    host.busy.set(true);
    await fixture.whenStable();
    expect(buttonByText(el, 'Use a backup code instead').disabled).toBe(true);
    expect(buttonByText(el, 'Use a passkey').disabled).toBe(true);
  });

  it('passkey(): proof-options, then the browser prompt', async () => {
    let options: unknown;
    webauthn.get = async (o) => {
      options = o;
      return ASSERTION;
    };
    await show({ totp: false, passkeys: 1 });
    const proof = host.proof.passkey();
    http.expectOne({ method: 'POST', url: '/auth/2fa/passkeys/proof-options' }).flush({ challenge: 'cA', allowCredentials: [] });
    await expect(proof).resolves.toEqual({ passkey: ASSERTION });
    expect(options).toEqual({ challenge: 'cA', allowCredentials: [] });
  });

  it('refusal(): words for the browser, a refused code (cleared), a passkey and a 429 (locked for the wait)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await show({ totp: true, passkeys: 1 });
    const { proof } = host;

    expect(proof.refusal(Object.assign(new Error('x'), { name: 'NotAllowedError' }))).toEqual({
      text: "Your passkey or security key did not confirm it's you. Try again.",
      api: null,
    });

    typeInto(inputByLabel(el, 'Authentication code'), '123456');
    const bad = errorResponse(400, 'INVALID_CODE', { attemptsRemaining: 3 });
    const refusedCode = proof.refusal(asHttpError(bad));
    expect(refusedCode.text).toBe('That code didn’t work. 3 attempts remaining.');
    expect(proof.control().value).toBe('');

    const uv = asHttpError(errorResponse(400, 'PASSKEY_FAILED', { attemptsRemaining: 2, reason: 'user_verification' }));
    expect(proof.refusal(uv).text).toBe("Your passkey or security key did not confirm it's you. Try again. 2 attempts remaining.");
    const other = asHttpError(errorResponse(400, 'PASSKEY_FAILED', { attemptsRemaining: 1, reason: 'challenge' }));
    expect(proof.refusal(other).text).toBe('PASSKEY_FAILED message 1 attempt remaining.');

    expect(proof.locked()).toBe(false);
    const tooMany = proof.refusal(asHttpError(errorResponse(429, 'TOO_MANY_ATTEMPTS', { retryAfterSeconds: 60 })));
    expect(tooMany.text).toBe('Too many attempts. Please wait 1 minute before trying again.');
    expect(proof.locked()).toBe(true);
    vi.advanceTimersByTime(59_000);
    expect(proof.locked()).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(proof.locked()).toBe(false);
  });
});

/** An HttpErrorResponse as HttpClient gives it to an error callback. */
function asHttpError(res: { body: object; opts: { status: number; statusText: string } }) {
  return new HttpErrorResponse({ error: res.body, status: res.opts.status, statusText: res.opts.statusText });
}
