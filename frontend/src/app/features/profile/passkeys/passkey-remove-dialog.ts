import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, inject, output, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { FactorRemoved, Passkey, SecondFactorProof } from '../../../core/auth/api.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { closeDialog, showDialog } from '../../../shared/dialog';
import { showControlError } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { SecondFactorProofFields, secondFactorProof } from '../../../shared/second-factor-proof';
import { TwoFactorStatusStore } from '../two-factor-status.store';

/**
 * "Remove" asks for the password AND another factor (a code from the app, a backup code, or a
 * passkey — the browser's prompt) in a modal <dialog>, like turning 2FA off.
 */
@Component({
  selector: 'app-passkey-remove-dialog',
  imports: [ReactiveFormsModule, PasswordField, SecondFactorProofFields],
  templateUrl: './passkey-remove-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasskeyRemoveDialog {
  private readonly api = inject(PasskeysApi);
  private readonly status = inject(TwoFactorStatusStore);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly passwordInput = viewChild<PasswordField>('password');
  private readonly proofFields = viewChild(SecondFactorProofFields);

  readonly removed = output<{ passkey: Passkey; result: FactorRemoved }>();

  protected readonly target = signal<Passkey | null>(null);
  protected readonly proof = secondFactorProof();
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required]],
    proof: this.proof.group,
  });

  open(passkey: Passkey): void {
    this.form.reset();
    // The key being removed can prove it too: "Use a passkey" is always offered here.
    this.proof.reset({ totp: this.status.totp(), passkeys: Math.max(1, this.status.passkeys()) });
    this.target.set(passkey);
    this.error.set(null);
    this.submitted.set(false);
    this.busy.set(false);
    showDialog(this.dialog().nativeElement);
    afterNextRender(() => this.passwordInput()?.focus(), { injector: this.injector });
  }

  close(): void {
    closeDialog(this.dialog().nativeElement);
    this.onClosed();
  }

  protected onClosed(): void {
    this.target.set(null);
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

  /** "Remove passkey": the password and a code (or a backup code). */
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
    const passkey = this.target();
    if (!passkey) return;
    this.busy.set(true);
    this.error.set(null);
    this.api.remove(passkey.id, { password: this.form.controls.password.value, ...proof }).subscribe({
      next: (result) => {
        this.busy.set(false);
        this.close();
        this.removed.emit({ passkey, result });
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
