import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  afterNextRender,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { describeProofError, readApiError } from '../../../core/auth/api-error';
import { SecondFactorProof } from '../../../core/auth/api.types';
import { PasskeysApi } from '../../../core/passkeys/passkeys.api';
import { WebAuthnClient, browserRefusalText } from '../../../core/passkeys/webauthn-client';
import { TwoFactorApi } from '../../../core/two-factor/two-factor.api';
import { CodeField } from '../../../shared/code-field';
import { backupCodeValidator, normalizeBackupCode, normalizeTotpCode, totpCodeValidator } from '../../../shared/codes';
import { selectSecondFactor, showControlError, type SecondFactor } from '../../../shared/form-state';
import { PasswordField } from '../../../shared/password-field';


/**
 * "Disable" asks for both factors in a real modal <dialog>: the password AND a current code from
 * the authenticator app (or a backup code). DESIGN.md §6 rule 7.
 */
@Component({
  selector: 'app-disable-two-factor-dialog',
  imports: [ReactiveFormsModule, CodeField, PasswordField],
  templateUrl: './disable-two-factor-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DisableTwoFactorDialog {
  private readonly api = inject(TwoFactorApi);
  private readonly passkeysApi = inject(PasskeysApi);
  private readonly webauthn = inject(WebAuthnClient);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly passwordInput = viewChild<PasswordField>('password');
  private readonly codeInput = viewChild<CodeField>('code');
  private lockTimer: ReturnType<typeof setTimeout> | undefined;

  /** The account has the authenticator app (else a backup code or a passkey is the second factor). */
  readonly totp = input(true);
  /** How many passkeys the account has: with one, "Use a passkey" is offered. */
  readonly passkeys = input(0);

  /** Emitted after the API confirmed that two-factor authentication is off. */
  readonly disabled = output<void>();

  readonly isOpen = signal(false);
  protected readonly factor = signal<SecondFactor>('code');
  protected readonly busy = signal(false);
  /** After 429: the submit button waits for Retry-After. */
  protected readonly locked = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required]],
    code: ['', [Validators.required, totpCodeValidator]],
    backupCode: [{ value: '', disabled: true }, [Validators.required, backupCodeValidator]],
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.lockTimer));
  }

  open(): void {
    this.form.reset();
    this.setFactor(this.totp() ? 'code' : 'backup');
    this.error.set(null);
    this.submitted.set(false);
    this.busy.set(false);
    this.isOpen.set(true);
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
    if (typeof dialog.close === 'function') {
      dialog.close(); // fires "close" → onClosed()
    } else {
      dialog.removeAttribute('open');
    }
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

  protected toggleFactor(): void {
    this.setFactor(this.factor() === 'code' ? 'backup' : 'code');
    this.error.set(null);
    this.submitted.set(false);
    this.focusSoon('code');
  }

  protected showError(control: 'password' | 'code'): boolean {
    const c = control === 'password' ? this.form.controls.password : this.secondFactorControl();
    return showControlError(c, this.submitted());
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy() || this.locked()) return;
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
    if (this.busy() || this.locked()) return;
    const { password } = this.form.controls;
    if (password.invalid) {
      password.markAsTouched();
      this.focus('password');
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    this.passkeysApi.proofOptions().subscribe({
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
    if (this.busy() && !started) return;
    const { password } = this.form.controls;
    this.busy.set(true);
    this.error.set(null);
    this.api.disable({ password: password.value, ...proof }).subscribe({
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
    const e = readApiError(err);
    this.error.set(describeProofError(e, this.factor() === 'code' ? 'code' : 'backupCode'));
    if (e.status === 429) {
      this.lockFor(e.retryAfterSeconds);
      return;
    }
    if (e.code === 'INVALID_PASSWORD') {
      this.form.controls.password.reset();
      this.focus('password');
    } else if (e.code === 'INVALID_CODE') {
      // A refused code (wrong, replayed, spent) cannot be sent again: ask for a new one.
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

  private lockFor(seconds: number | undefined): void {
    if (!seconds) return;
    clearTimeout(this.lockTimer);
    this.locked.set(true);
    this.lockTimer = setTimeout(() => this.locked.set(false), seconds * 1000);
  }

  private focus(which: 'password' | 'code'): void {
    (which === 'password' ? this.passwordInput() : this.codeInput())?.focus();
  }

  private focusSoon(which: 'password' | 'code'): void {
    afterNextRender(() => this.focus(which), { injector: this.injector });
  }
}
