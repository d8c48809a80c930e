import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, inject, input, output, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { TotpRemoved, SecondFactorProof } from '../../../core/auth/api.types';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { closeDialog, showDialog } from '../../../shared/dialog';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { SecondFactorProofFields, secondFactorProof } from '../../../shared/second-factor-proof';

/**
 * "Remove authenticator app" (POST /auth/2fa/totp/remove) for an account that also has passkeys:
 * the app stops working, the passkeys and backup codes stay, 2FA stays on. Like every factor
 * change it needs the password AND a second factor (a code from the app, a backup code or a passkey).
 */
@Component({
  selector: 'app-remove-totp-dialog',
  imports: [ReactiveFormsModule, PasswordField, SecondFactorProofFields],
  templateUrl: './remove-totp-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RemoveTotpDialog {
  private readonly api = inject(TwoFactorApi);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly passwordInput = viewChild<PasswordField>('password');
  private readonly proofFields = viewChild(SecondFactorProofFields);

  /** How many passkeys the account has (they stay). */
  readonly passkeys = input(0);

  /** The API's answer: `twoFactorEnabled` false only if the app was the last factor after all. */
  readonly removed = output<TotpRemoved>();

  readonly isOpen = signal(false);
  protected readonly proof = secondFactorProof();
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required]],
    proof: this.proof.group,
  });

  open(): void {
    this.form.reset();
    this.proof.reset({ totp: true, passkeys: this.passkeys() });
    this.error.set(null);
    this.submitted.set(false);
    this.busy.set(false);
    this.isOpen.set(true);
    showDialog(this.dialog().nativeElement);
    afterNextRender(() => this.passwordInput()?.focus(), { injector: this.injector });
  }

  close(): void {
    closeDialog(this.dialog().nativeElement);
    this.onClosed();
  }

  protected onClosed(): void {
    this.isOpen.set(false);
    this.form.reset();
  }

  protected onCancel(event: Event): void {
    if (this.busy()) event.preventDefault();
  }

  protected onSwitched(): void {
    this.error.set(null);
    this.submitted.set(false);
  }

  protected showPasswordError(): boolean {
    return showControlError(this.form.controls.password, this.submitted());
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy() || this.proof.locked()) return;
    const { password } = this.form.controls;
    if (password.invalid || this.proof.invalid()) {
      this.form.markAllAsTouched();
      if (password.invalid) this.passwordInput()?.focus();
      else this.proofFields()?.focus();
      return;
    }
    this.send(this.proof.value());
  }

  protected usePasskey(): void {
    this.submitted.set(true);
    if (this.busy() || this.proof.locked()) return;
    const { password } = this.form.controls;
    if (password.invalid) {
      password.markAsTouched();
      this.passwordInput()?.focus();
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    this.proof.passkey().then(
      (proof) => this.send(proof),
      (err: unknown) => this.refused(err),
    );
  }

  private send(proof: SecondFactorProof): void {
    this.busy.set(true);
    this.error.set(null);
    this.api.removeTotp({ password: this.form.controls.password.value, ...proof }).subscribe({
      next: (result) => {
        this.busy.set(false);
        this.close();
        this.removed.emit(result);
      },
      error: (err: unknown) => this.refused(err),
    });
  }

  private refused(err: unknown): void {
    this.busy.set(false);
    this.submitted.set(false);
    const { text, api } = this.proof.refusal(err);
    this.error.set(text);
    if (api?.code === 'INVALID_PASSWORD') {
      this.form.controls.password.reset();
      this.passwordInput()?.focus();
    } else if (api?.code === 'INVALID_CODE') {
      this.proofFields()?.focus();
    }
  }
}
