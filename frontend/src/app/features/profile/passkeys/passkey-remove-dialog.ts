import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, inject, output, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { describeProofError, readApiError } from '../../../core/auth/api-error';
import { FactorRemoved, Passkey, SecondFactorProof } from '../../../core/auth/api.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { WebAuthnClient, browserRefusalText } from '../../../core/passkeys/webauthn-client';
import { CodeField } from '../../../shared/code-field';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from '../../../shared/codes';
import { selectSecondFactor, showControlError, type SecondFactor } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';
import { TwoFactorStatusStore } from '../two-factor-status.store';

/**
 * "Remove" asks for the password AND another factor (a code from the app, a backup code, or a
 * passkey — the browser's prompt) in a modal <dialog>, like turning 2FA off.
 */
@Component({
  selector: 'app-passkey-remove-dialog',
  imports: [ReactiveFormsModule, CodeField, PasswordField],
  templateUrl: './passkey-remove-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PasskeyRemoveDialog {
  private readonly api = inject(PasskeysApi);
  private readonly webauthn = inject(WebAuthnClient);
  protected readonly status = inject(TwoFactorStatusStore);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly passwordInput = viewChild<PasswordField>('password');
  private readonly codeInput = viewChild<CodeField>('code');

  readonly removed = output<{ passkey: Passkey; result: FactorRemoved }>();

  protected readonly target = signal<Passkey | null>(null);
  protected readonly factor = signal<SecondFactor>('code');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required]],
    code: ['', [Validators.required, totpCodeValidator]],
    backupCode: [{ value: '', disabled: true }, [Validators.required, backupCodeValidator]],
  });

  open(passkey: Passkey): void {
    this.form.reset();
    this.setFactor(this.status.totp() ? 'code' : 'backup');
    this.target.set(passkey);
    this.error.set(null);
    this.submitted.set(false);
    this.busy.set(false);
    const dialog = this.dialog().nativeElement;
    if (typeof dialog.showModal === 'function') {
      if (!dialog.open) dialog.showModal();
    } else {
      dialog.setAttribute('open', '');
    }
    this.focusSoon('password');
  }

  close(): void {
    const dialog = this.dialog().nativeElement;
    if (typeof dialog.close === 'function') dialog.close();
    else dialog.removeAttribute('open');
    this.onClosed();
  }

  protected onClosed(): void {
    this.target.set(null);
    this.form.reset();
  }

  protected onCancel(event: Event): void {
    if (this.busy()) event.preventDefault();
  }

  protected toggleFactor(): void {
    this.setFactor(this.factor() === 'code' ? 'backup' : 'code');
    this.error.set(null);
    this.submitted.set(false);
    this.focusSoon('code');
  }

  protected showError(which: 'password' | 'code'): boolean {
    const control = which === 'password' ? this.form.controls.password : this.secondFactorControl();
    return showControlError(control, this.submitted());
  }

  /** "Remove passkey": the password and a code (or a backup code). */
  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    const { password } = this.form.controls;
    const second = this.secondFactorControl();
    if (password.invalid || second.invalid) {
      this.form.markAllAsTouched();
      this.focus(password.invalid ? 'password' : 'code');
      return;
    }
    const proof: SecondFactorProof =
      this.factor() === 'code' ? { code: normalizeTotpCode(second.value) } : { backupCode: normalizeBackupCode(second.value) };
    this.send(proof);
  }

  /** "Use a passkey": the password and the browser's passkey prompt instead of a code. */
  protected usePasskey(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    const { password } = this.form.controls;
    if (password.invalid) {
      password.markAsTouched();
      this.focus('password');
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    this.api.proofOptions().subscribe({
      next: (options) =>
        this.webauthn.get(options).then(
          (passkey) => this.send({ passkey }, true),
          (err: unknown) => {
            this.busy.set(false);
            this.error.set(browserRefusalText(err));
          },
        ),
      error: (err: unknown) => this.refused(err),
    });
  }

  private send(proof: SecondFactorProof, started = false): void {
    const passkey = this.target();
    if (!passkey || (this.busy() && !started)) return;
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
    const e = readApiError(err);
    this.error.set(describeProofError(e, this.factor() === 'code' ? 'code' : 'backupCode'));
    if (e.status === 429) return;
    if (e.code === 'INVALID_PASSWORD') {
      this.form.controls.password.reset();
      this.focus('password');
    } else if (e.code === 'INVALID_CODE') {
      this.secondFactorControl().reset();
      this.focus('code');
    }
  }

  private secondFactorControl() {
    return this.factor() === 'code' ? this.form.controls.code : this.form.controls.backupCode;
  }

  private setFactor(next: SecondFactor): void {
    this.factor.set(next);
    selectSecondFactor(this.form.controls, next);
  }

  private focus(which: 'password' | 'code'): void {
    (which === 'password' ? this.passwordInput() : this.codeInput())?.focus();
  }

  private focusSoon(which: 'password' | 'code'): void {
    afterNextRender(() => this.focus(which), { injector: this.injector });
  }
}
