import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  Injector,
  afterNextRender,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router } from '@angular/router';
import { ApiError, describeProofError, readApiError, tooManyAttemptsText } from '../../core/auth/api-error';
import { LoginFlow } from '../../core/auth/login-flow';
import { AUTH_MESSAGES, SessionStore } from '../../core/auth/session.store';
import { SessionsApi } from '../../core/sessions/sessions.api';
import { CodeField } from '../../shared/code-field';
import { showControlError } from '../../shared/form-state';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from '../../shared/codes';

type Mode = 'totp' | 'backup';

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
  private readonly router = inject(Router);
  private readonly injector = inject(Injector);

  private readonly codeInput = viewChild(CodeField);
  private lockTimer: ReturnType<typeof setTimeout> | undefined;

  protected readonly mode = signal<Mode>('totp');
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly locked = signal(false);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    code: ['', [Validators.required, totpCodeValidator]],
    backupCode: [{ value: '', disabled: true }, [Validators.required, backupCodeValidator]],
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

  protected toggleMode(): void {
    const next: Mode = this.mode() === 'totp' ? 'backup' : 'totp';
    this.mode.set(next);
    this.submitted.set(false);
    this.error.set(null);
    const { code, backupCode } = this.form.controls;
    if (next === 'totp') {
      backupCode.disable();
      code.enable();
      code.reset();
    } else {
      code.disable();
      backupCode.enable();
      backupCode.reset();
    }
    afterNextRender(() => this.codeInput()?.focus(), { injector: this.injector });
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy() || this.locked()) return;
    const control = this.activeControl;
    if (control.invalid) {
      control.markAsTouched();
      this.codeInput()?.focus();
      return;
    }
    const proof =
      this.mode() === 'totp'
        ? { code: normalizeTotpCode(control.value) }
        : { backupCode: normalizeBackupCode(control.value) };
    const body = this.form.controls.rememberDevice.value ? { ...proof, rememberDevice: true } : proof;
    this.busy.set(true);
    this.error.set(null);
    this.flow.verifyLogin(body).subscribe({
      next: () => {
        this.busy.set(false);
        void this.router.navigateByUrl(this.session.takeReturnUrl());
      },
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

  private handleError(err: ApiError): void {
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
    if (err.code === 'INVALID_CODE') {
      // Says why when the server knows: a replayed code, a phone clock that is off, a spent backup code.
      const hint = err.attemptsRemaining === 0 ? ' Please go back and log in again.' : '';
      this.error.set(`${describeProofError(err, this.mode() === 'totp' ? 'code' : 'backupCode')}${hint}`);
    } else {
      this.error.set(err.message);
    }
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
