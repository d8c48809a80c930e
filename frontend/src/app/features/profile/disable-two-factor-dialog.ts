import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  inject,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { attemptsText, formatWait, readApiError } from '../../core/auth/api-error';
import { AuthService } from '../../core/auth/auth.service';
import { CodeField } from '../../shared/code-field';
import { normalizeTotpCode, totpCodeValidator } from '../../shared/codes';
import { showControlError } from '../../shared/form-state';
import { PasswordField } from '../../shared/password-field';

type Proof = 'password' | 'code';

/** "Disable" asks for proof (password or a current code) in a real modal <dialog>. */
@Component({
  selector: 'app-disable-two-factor-dialog',
  imports: [ReactiveFormsModule, CodeField, PasswordField],
  templateUrl: './disable-two-factor-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class DisableTwoFactorDialog {
  private readonly auth = inject(AuthService);
  private readonly injector = inject(Injector);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');
  private readonly proofInput = viewChild<CodeField | PasswordField>('proof');

  /** Emitted after the API confirmed that two-factor authentication is off. */
  readonly disabled = output<void>();

  readonly isOpen = signal(false);
  protected readonly method = signal<Proof>('password');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required]],
    code: [{ value: '', disabled: true }, [Validators.required, totpCodeValidator]],
  });

  open(): void {
    this.method.set('password');
    this.form.reset();
    this.form.controls.password.enable();
    this.form.controls.code.disable();
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
    this.focusProofSoon();
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

  protected toggleMethod(): void {
    const next: Proof = this.method() === 'password' ? 'code' : 'password';
    this.method.set(next);
    this.error.set(null);
    this.submitted.set(false);
    const { password, code } = this.form.controls;
    password.reset();
    code.reset();
    if (next === 'password') {
      code.disable();
      password.enable();
    } else {
      password.disable();
      code.enable();
    }
    this.focusProofSoon();
  }

  protected showFieldError(): boolean {
    const control = this.method() === 'password' ? this.form.controls.password : this.form.controls.code;
    return showControlError(control, this.submitted());
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      this.proofInput()?.focus();
      return;
    }
    const { password, code } = this.form.getRawValue();
    const proof = this.method() === 'password' ? { password } : { code: normalizeTotpCode(code) };
    this.busy.set(true);
    this.error.set(null);
    this.auth.disableTwoFactor(proof).subscribe({
      next: () => {
        this.busy.set(false);
        this.close();
        this.disabled.emit();
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        if (e.code === 'INVALID_PASSWORD') {
          this.error.set('Incorrect password.');
        } else if (e.code === 'INVALID_CODE') {
          this.error.set(`That code didn’t work.${attemptsText(e.attemptsRemaining)}`);
        } else if (e.status === 429) {
          this.error.set(`Too many attempts. Please wait ${formatWait(e.retryAfterSeconds)} before trying again.`);
        } else {
          this.error.set(e.message);
        }
        this.form.controls.password.reset();
        this.form.controls.code.reset();
        this.submitted.set(false);
        this.proofInput()?.focus();
      },
    });
  }

  private focusProofSoon(): void {
    afterNextRender(() => this.proofInput()?.focus(), { injector: this.injector });
  }
}
