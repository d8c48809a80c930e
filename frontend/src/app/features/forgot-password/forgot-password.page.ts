import { ChangeDetectionStrategy, Component, ElementRef, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { PasswordApi } from '../../core/account/password.api';
import { rateLimitText, readApiError } from '../../core/auth/api-error';
import { EmailField } from '../../shared/email-field';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';

/** "Forgot your password?": asks for the email; the answer is the same whether or not it has an account. */
@Component({
  selector: 'app-forgot-password-page',
  imports: [ReactiveFormsModule, RouterLink, EmailField],
  templateUrl: './forgot-password.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ForgotPasswordPage {
  private readonly api = inject(PasswordApi);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);
  protected readonly error = signal<string | null>(null);
  /** The server's answer once sent (the same for every address). */
  protected readonly sent = signal<string | null>(null);

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
  });

  protected showError(): boolean {
    return showControlError(this.form.controls.email, this.submitted());
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    if (rejectInvalidForm(this.form, this.host.nativeElement)) return;
    this.busy.set(true);
    this.error.set(null);
    this.api.forgot(this.form.controls.email.value.trim()).subscribe({
      next: (res) => {
        this.busy.set(false);
        this.sent.set(res.message);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        this.error.set(e.status === 429 ? rateLimitText(e) : e.message);
      },
    });
  }
}
