import { ChangeDetectionStrategy, Component, DestroyRef, Injector, afterNextRender, computed, inject, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import { ApiError, attemptsText, describeProofError, readApiError, tooManyAttemptsText } from '../../core/auth/api-error';
import { PasskeyAssertion, VerifyLoginRequest, VerifyLoginWithPasskey } from '../../core/auth/api.types';
import { LoginFlow } from '../../core/auth/login-flow';
import { AUTH_MESSAGES, SessionStore } from '../../core/auth/session.store';
import { PASSKEY_REFUSED_AT_LOGIN, PASSKEY_REFUSED_AT_LOGIN_NO_APP, WebAuthnClient, browserRefusalText } from '../../core/passkeys/webauthn-client';
import { SessionsApi } from '../../core/sessions/sessions.api';
import { CodeField } from '../../shared/code-field';
import { showControlError } from '../../shared/form-state';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from '../../shared/codes';

/** The login's code step words no drift, even from a server that still sends it (rule 19). */
function withoutDrift(err: ApiError): ApiError {
  if (err.reason !== 'clock_drift') return err;
  const rest = { ...err };
  delete rest.reason;
  delete rest.driftSeconds;
  return rest;
}

/** What the form asks for: a code from the app, a backup code, or (no app on this account) only the passkey button. */
type Mode = 'totp' | 'backup' | 'passkey';

/** The code step: the login's `methods` say which of the app, a passkey and backup codes it offers. */
@Component({
  selector: 'app-two-factor-page',
  imports: [ReactiveFormsModule, CodeField],
  templateUrl: './two-factor.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TwoFactorPage {
  private readonly flow = inject(LoginFlow);
  private readonly session = inject(SessionStore);
  private readonly sessions = inject(SessionsApi);
  private readonly webauthn = inject(WebAuthnClient);
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);

  private readonly codeInput = viewChild(CodeField);
  private lockTimer: ReturnType<typeof setTimeout> | undefined;

  protected readonly hasTotp = computed(() => this.flow.methods().includes('totp'));
  protected readonly hasPasskey = computed(() => this.flow.methods().includes('passkey'));
  /** A passkey that did not confirm the user: the way out is a code, or a backup code without the app. */
  private readonly passkeyRefused = computed(() => (this.hasTotp() ? PASSKEY_REFUSED_AT_LOGIN : PASSKEY_REFUSED_AT_LOGIN_NO_APP));
  protected readonly mode = signal<Mode>(this.hasTotp() ? 'totp' : this.hasPasskey() ? 'passkey' : 'backup');
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly locked = signal(false);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    code: [{ value: '', disabled: this.mode() !== 'totp' }, [Validators.required, totpCodeValidator]],
    backupCode: [{ value: '', disabled: this.mode() !== 'backup' }, [Validators.required, backupCodeValidator]],
    rememberDevice: [false],
  });

  constructor() {
    afterNextRender(() => this.codeInput()?.focus());
    inject(DestroyRef).onDestroy(() => clearTimeout(this.lockTimer));
  }

  protected get activeControl() {
    return this.mode() === 'totp' ? this.form.controls.code : this.form.controls.backupCode;
  }

  protected showFieldError(): boolean {
    return showControlError(this.activeControl, this.submitted());
  }

  /** The link under the form: to backup codes, and back to the app (or to the passkey). */
  protected readonly toggleText = computed(() => {
    if (this.mode() !== 'backup') return 'Use a backup code instead';
    return this.hasTotp() ? 'Use your authenticator app instead' : 'Use your passkey or security key instead';
  });

  protected toggleMode(): void {
    const next: Mode = this.mode() !== 'backup' ? 'backup' : this.hasTotp() ? 'totp' : 'passkey';
    this.mode.set(next);
    this.submitted.set(false);
    this.error.set(null);
    const { code, backupCode } = this.form.controls;
    code.reset();
    backupCode.reset();
    if (next === 'totp') code.enable();
    else code.disable();
    if (next === 'backup') backupCode.enable();
    else backupCode.disable();
    afterNextRender(() => this.codeInput()?.focus(), { injector: this.injector });
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy() || this.locked() || this.mode() === 'passkey') return;
    const control = this.activeControl;
    if (control.invalid) {
      control.markAsTouched();
      this.codeInput()?.focus();
      return;
    }
    const proof = this.mode() === 'totp' ? { code: normalizeTotpCode(control.value) } : { backupCode: normalizeBackupCode(control.value) };
    this.verify(this.remembered(proof));
  }

  /** "Use a passkey or security key": a challenge for this login → the browser's prompt → verify-login. */
  protected usePasskey(): void {
    if (this.busy() || this.locked()) return;
    this.busy.set(true);
    this.error.set(null);
    this.flow.passkeyOptions().subscribe({
      next: (options) =>
        this.webauthn.get(options).then(
          (passkey: PasskeyAssertion) => this.verify(this.remembered({ passkey }), true),
          (err: unknown) => {
            this.busy.set(false);
            this.error.set(browserRefusalText(err, this.passkeyRefused()));
          },
        ),
      error: (err: unknown) => {
        this.busy.set(false);
        this.handleError(readApiError(err));
      },
    });
  }

  protected backToLogin(): void {
    this.flow.abandon();
    this.sessions.logout().subscribe(); // clears the server's twofa_token cookie
    void this.router.navigateByUrl('/login');
  }

  private remembered<T extends object>(proof: T): T & { rememberDevice?: boolean } {
    return this.form.controls.rememberDevice.value ? { ...proof, rememberDevice: true } : proof;
  }

  private verify(body: VerifyLoginRequest | VerifyLoginWithPasskey, started = false): void {
    if (this.busy() && !started) return;
    this.busy.set(true);
    this.error.set(null);
    this.flow.verifyLogin(body).subscribe({
      next: () => {
        this.busy.set(false);
        void this.router.navigateByUrl(this.session.takeReturnUrl());
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.handleError(readApiError(err), 'passkey' in body);
      },
    });
  }

  private handleError(err: ApiError, passkey = false): void {
    if (err.status === 401 || err.code === 'SESSION_EXPIRED') {
      this.flow.abandon();
      this.session.setNotice(AUTH_MESSAGES.loginAttemptExpired);
      void this.router.navigateByUrl('/login');
      return;
    }
    if (err.status === 429 || err.code === 'TOO_MANY_ATTEMPTS') {
      this.error.set(tooManyAttemptsText(err.retryAfterSeconds));
      this.lockFor(err.retryAfterSeconds);
      return;
    }
    const hint = err.attemptsRemaining === 0 ? ' Please go back and log in again.' : '';
    if (err.code === 'INVALID_CODE') {
      // Says why when the server knows: a replayed code or a spent backup code. Never how far a code
      // was off (DESIGN.md §6 rule 19): the drift is told after the login, by ClockDriftNotice.
      this.error.set(`${describeProofError(withoutDrift(err), this.mode() === 'totp' ? 'code' : 'backupCode')}${hint}`);
    } else if (err.code === 'PASSKEY_FAILED') {
      // The authenticator answered without verifying the user: the same words as a browser refusal.
      const text = err.reason === 'user_verification' ? this.passkeyRefused() : err.message;
      this.error.set(`${text}${attemptsText(err.attemptsRemaining)}${hint}`);
    } else {
      this.error.set(err.message);
    }
    if (passkey || this.mode() === 'passkey') return;
    this.activeControl.reset();
    this.submitted.set(false);
    this.codeInput()?.focus();
  }

  private lockFor(seconds: number | undefined): void {
    if (!seconds) return;
    clearTimeout(this.lockTimer);
    this.locked.set(true);
    this.lockTimer = setTimeout(() => this.locked.set(false), seconds * 1000);
  }
}
