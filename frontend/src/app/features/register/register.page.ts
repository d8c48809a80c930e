import { ChangeDetectionStrategy, Component, ElementRef, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { formatWait, readApiError } from '../../core/auth/api-error';
import { AuthService } from '../../core/auth/auth.service';
import { EmailField } from '../../shared/email-field';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';
import { PasswordField } from '../../shared/password-field';

export const MIN_PASSWORD_LENGTH = 12;

@Component({
  selector: 'app-register-page',
  imports: [ReactiveFormsModule, RouterLink, EmailField, PasswordField],
  templateUrl: './register.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RegisterPage {
  private readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly minLength = MIN_PASSWORD_LENGTH;
  protected readonly error = signal<string | null>(null);
  protected readonly emailTaken = signal(false);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', [Validators.required, Validators.minLength(MIN_PASSWORD_LENGTH)]],
  });

  protected showError(name: 'email' | 'password'): boolean {
    return showControlError(this.form.controls[name], this.submitted());
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    if (rejectInvalidForm(this.form, this.host.nativeElement)) return;
    const { email, password } = this.form.getRawValue();
    this.busy.set(true);
    this.error.set(null);
    this.emailTaken.set(false);
    this.auth.register({ email: email.trim(), password }).subscribe({
      next: () => {
        this.busy.set(false);
        void this.router.navigateByUrl('/dashboard');
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        if (e.code === 'EMAIL_TAKEN') {
          this.emailTaken.set(true);
          this.error.set('An account with this email already exists.');
        } else if (e.status === 429) {
          this.error.set(`Too many attempts. Please wait ${formatWait(e.retryAfterSeconds)} and try again.`);
        } else {
          this.error.set(e.message);
        }
      },
    });
  }
}
