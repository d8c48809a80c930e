import { ChangeDetectionStrategy, Component, ElementRef, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { ApiError, rateLimitText, readApiError } from '../../core/auth/api-error';
import { LoginFlow } from '../../core/auth/login-flow';
import { SessionStore } from '../../core/auth/session.store';
import { EmailField } from '../../shared/email-field';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';
import { PasswordField } from '../../shared/password-field';

export function loginErrorMessage(err: ApiError): string {
  switch (err.code) {
    case 'INVALID_CREDENTIALS':
      return 'Incorrect email or password.';
    default:
      // the words for a 429 are the catalogue's (@twofa/contract): "Too many login attempts. Please wait …"
      return err.status === 429 ? rateLimitText(err, 'login attempts') : err.message;
  }
}

@Component({
  selector: 'app-login-page',
  imports: [ReactiveFormsModule, RouterLink, EmailField, PasswordField],
  templateUrl: './login.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginPage {
  private readonly session = inject(SessionStore);
  private readonly flow = inject(LoginFlow);
  private readonly router = inject(Router);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly notice = signal(this.session.takeNotice());
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', [Validators.required]],
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
    this.notice.set(null);
    this.flow.login({ email: email.trim(), password }).subscribe({
      next: (res) => {
        this.busy.set(false);
        void this.router.navigateByUrl(res.requires2FA ? '/two-factor' : this.session.takeReturnUrl());
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.error.set(loginErrorMessage(readApiError(err)));
        this.submitted.set(false);
        this.form.controls.password.reset();
      },
    });
  }
}
