import { ChangeDetectionStrategy, Component, ElementRef, inject, input, output, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { PASSWORD_MIN_LENGTH } from '@twofa/password-policy/limits';
import { ChangePasswordRequest, PasswordApi } from '../../core/account/password.api';
import { describeProofError, readApiError } from '../../core/auth/api-error';
import { SessionStore } from '../../core/auth/session.store';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';
import { NewPasswordRule } from '../../shared/new-password';
import { PasswordField } from '../../shared/password-field';
import { ProofRequest, proofRequest } from '../../shared/proof-request';
import { SecondFactorProofFields } from '../../shared/second-factor-proof';

export const PASSWORD_CHANGED_NOTICE = 'Password changed. Every other session was signed out and remembered devices were forgotten.';

type Field = 'currentPassword' | 'newPassword';

/**
 * "Change password" on the profile: the current password, the new one, and — when two-factor
 * authentication is on — a code from the app, a backup code or a passkey (the API refuses the change
 * without).
 */
@Component({
  selector: 'app-change-password-card',
  imports: [ReactiveFormsModule, PasswordField, SecondFactorProofFields],
  templateUrl: './change-password-card.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ChangePasswordCard {
  private readonly api = inject(PasswordApi);
  private readonly session = inject(SessionStore);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  /** Whether a second factor is asked. */
  readonly twoFactorEnabled = input(false);
  /** The account has the authenticator app (else a backup code or a passkey is the second factor). */
  readonly totp = input(true);
  /** How many passkeys the account has: with one, "Use a passkey" is offered. */
  readonly passkeys = input(0);
  /** Emitted once the password changed (the other sessions and devices lists are now stale). */
  readonly changed = output<void>();

  protected readonly minLength = PASSWORD_MIN_LENGTH;
  protected readonly open = signal(false);
  protected readonly request: ProofRequest<unknown> = proofRequest({
    ready: (typed) => (typed ? this.readyToSave() : this.readyForPasskey()),
    call: (proof) => {
      const { currentPassword, newPassword } = this.form.getRawValue();
      // Without 2FA the API takes no proof (its fields are disabled and empty).
      const body: ChangePasswordRequest = { currentPassword, newPassword, ...(this.twoFactorEnabled() ? proof : null) };
      return this.api.change(body);
    },
    succeeded: () => {
      this.open.set(false);
      this.form.reset();
      this.notice.set(PASSWORD_CHANGED_NOTICE);
      this.changed.emit();
    },
    refused: (err) => this.refused(err),
  });
  protected readonly proof = this.request.proof;
  protected readonly busy = this.request.busy;
  protected readonly submitted = this.request.submitted;
  protected readonly error = this.request.error;
  protected readonly notice = signal<string | null>(null);

  private readonly rule = new NewPasswordRule(
    () => this.session.user()?.email ?? '',
    () => this.form.controls.newPassword.updateValueAndValidity(),
  );

  protected readonly form = inject(NonNullableFormBuilder).group({
    currentPassword: ['', [Validators.required]],
    newPassword: ['', [Validators.required, Validators.minLength(PASSWORD_MIN_LENGTH), this.rule.validator]],
    proof: this.proof.group,
  });

  protected start(): void {
    this.form.reset();
    this.proof.reset({ totp: this.totp(), passkeys: this.passkeys() });
    this.error.set(null);
    this.notice.set(null);
    this.submitted.set(false);
    this.open.set(true);
  }

  protected cancel(): void {
    this.open.set(false);
    this.form.reset();
  }

  protected onSwitched(): void {
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

  /** "Save new password": both passwords, and the typed factor when 2FA is on. */
  private readyToSave(): boolean {
    if (!this.twoFactorEnabled()) this.proof.group.disable();
    return !rejectInvalidForm(this.form, this.host.nativeElement);
  }

  /** "Use a passkey": both passwords first, then the browser's prompt instead of a code. */
  private readyForPasskey(): boolean {
    const { currentPassword, newPassword } = this.form.controls;
    if (currentPassword.invalid || newPassword.invalid) {
      this.form.markAllAsTouched();
      this.host.nativeElement.querySelector<HTMLElement>('input.ng-invalid')?.focus();
      return false;
    }
    return true;
  }

  private refused(err: unknown): void {
    const e = readApiError(err);
    const field = e.fields?.[0]?.field;
    if (e.code === 'VALIDATION_FAILED' && field === 'newPassword') {
      this.error.set(`New password ${e.fields![0].message}.`);
    } else if (e.code === 'INVALID_PASSWORD') {
      this.error.set(describeProofError(e).replace('Incorrect password.', 'Your current password is incorrect.'));
      this.form.controls.currentPassword.reset();
    } else {
      this.request.showRefusal(err);
    }
  }
}
