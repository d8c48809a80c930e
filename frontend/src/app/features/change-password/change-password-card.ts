import { ChangeDetectionStrategy, Component, ElementRef, inject, input, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { PASSWORD_MIN_LENGTH } from '@twofa/password-policy/limits';
import { ChangePasswordRequest, PasswordApi } from '../../core/account/password.api';
import { describeProofError, readApiError } from '../../core/auth/api-error';
import { SessionStore } from '../../core/auth/session.store';
import { CodeField } from '../../shared/code-field';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from '../../shared/codes';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';
import { NewPasswordRule } from '../../shared/new-password';
import { PasswordField } from '../../shared/password-field';

export const PASSWORD_CHANGED_NOTICE = 'Password changed. Every other session was signed out and remembered devices were forgotten.';

type Field = 'currentPassword' | 'newPassword' | 'code' | 'backupCode';

/**
 * "Change password" on the profile: the current password, the new one, and — when two-factor
 * authentication is on — a code from the app or a backup code (the API refuses the change without).
 */
@Component({
  selector: 'app-change-password-card',
  imports: [ReactiveFormsModule, PasswordField, CodeField],
  templateUrl: './change-password-card.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ChangePasswordCard {
  private readonly api = inject(PasswordApi);
  private readonly session = inject(SessionStore);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  /** Whether a second factor is asked. */
  readonly twoFactorEnabled = input(false);
  /** Emitted once the password changed (the other sessions and devices lists are now stale). */
  readonly changed = output<void>();

  protected readonly minLength = PASSWORD_MIN_LENGTH;
  protected readonly open = signal(false);
  protected readonly factor = signal<'code' | 'backup'>('code');
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);

  private readonly rule = new NewPasswordRule(
    () => this.session.user()?.email ?? '',
    () => this.form.controls.newPassword.updateValueAndValidity(),
  );

  protected readonly form = inject(NonNullableFormBuilder).group({
    currentPassword: ['', [Validators.required]],
    newPassword: ['', [Validators.required, Validators.minLength(PASSWORD_MIN_LENGTH), this.rule.validator]],
    code: ['', [Validators.required, totpCodeValidator]],
    backupCode: [{ value: '', disabled: true }, [Validators.required, backupCodeValidator]],
  });

  protected start(): void {
    this.form.reset();
    this.setFactor('code');
    this.error.set(null);
    this.notice.set(null);
    this.submitted.set(false);
    this.open.set(true);
  }

  protected cancel(): void {
    this.open.set(false);
    this.form.reset();
  }

  protected toggleFactor(): void {
    this.setFactor(this.factor() === 'code' ? 'backup' : 'code');
    this.error.set(null);
  }

  protected showError(name: Field): boolean {
    return showControlError(this.form.controls[name], this.submitted());
  }

  protected newPasswordHint(): string {
    return this.rule.hint(this.form.controls.newPassword.value, this.showError('newPassword'));
  }

  protected newPasswordError(): string {
    return this.rule.error(this.form.controls.newPassword);
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    const twoFactor = this.twoFactorEnabled();
    if (!twoFactor) {
      this.form.controls.code.disable();
      this.form.controls.backupCode.disable();
    }
    if (rejectInvalidForm(this.form, this.host.nativeElement)) return;
    const { currentPassword, newPassword, code, backupCode } = this.form.getRawValue();
    const body: ChangePasswordRequest = { currentPassword, newPassword };
    if (twoFactor && this.factor() === 'code') body.code = normalizeTotpCode(code);
    if (twoFactor && this.factor() === 'backup') body.backupCode = normalizeBackupCode(backupCode);
    this.busy.set(true);
    this.error.set(null);
    this.api.change(body).subscribe({
      next: () => {
        this.busy.set(false);
        this.open.set(false);
        this.form.reset();
        this.notice.set(PASSWORD_CHANGED_NOTICE);
        this.changed.emit();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.submitted.set(false);
        const e = readApiError(err);
        const field = e.fields?.[0]?.field;
        if (e.code === 'VALIDATION_FAILED' && field === 'newPassword') {
          this.error.set(`New password ${e.fields![0].message}.`);
        } else if (e.code === 'INVALID_PASSWORD') {
          this.error.set(describeProofError(e).replace('Incorrect password.', 'Your current password is incorrect.'));
          this.form.controls.currentPassword.reset();
        } else {
          this.error.set(describeProofError(e, this.factor() === 'code' ? 'code' : 'backupCode'));
          if (e.code === 'INVALID_CODE') (this.factor() === 'code' ? this.form.controls.code : this.form.controls.backupCode).reset();
        }
      },
    });
  }

  private setFactor(factor: 'code' | 'backup'): void {
    this.factor.set(factor);
    const { code, backupCode } = this.form.controls;
    if (factor === 'code') {
      code.enable();
      backupCode.disable();
    } else {
      backupCode.enable();
      code.disable();
    }
    code.reset();
    backupCode.reset();
  }
}
