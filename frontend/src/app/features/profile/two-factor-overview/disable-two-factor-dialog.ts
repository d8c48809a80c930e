import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, inject, input, output, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { SecondFactorProof } from '../../../core/auth/api.types';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { closeDialog, showDialog } from '../../../shared/dialog';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { SecondFactorProofFields, secondFactorProof } from '../../../shared/second-factor-proof';

/**
 * "Disable" asks for both factors in a real modal <dialog>: the password AND a current code from
 * the authenticator app (or a backup code, or a passkey). DESIGN.md §6 rule 7.
 */
@Component({
  selector: 'app-disable-two-factor-dialog',
  imports: [ReactiveFormsModule, PasswordField, SecondFactorProofFields],
  templateUrl: './disable-two-factor-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DisableTwoFactorDialog {
  private readonly api = inject(TwoFactorApi);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly passwordInput = viewChild<PasswordField>('password');
  private readonly proofFields = viewChild(SecondFactorProofFields);

  /** The account has the authenticator app (else a backup code or a passkey is the second factor). */
  readonly totp = input(true);
  /** How many passkeys the account has: with one, "Use a passkey" is offered. */
  readonly passkeys = input(0);

  /** Emitted after the API confirmed that two-factor authentication is off. */
  readonly disabled = output<void>();

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
    this.proof.reset({ totp: this.totp(), passkeys: this.passkeys() });
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

  /** Escape closes the dialog, except while the request is running. */
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

  /** "Use a passkey": the password and the browser's passkey prompt instead of a code. */
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
    this.api.disable({ password: this.form.controls.password.value, ...proof }).subscribe({
      next: () => {
        this.busy.set(false);
        this.close();
        this.disabled.emit();
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
