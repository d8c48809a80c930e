import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { AbstractControl, NonNullableFormBuilder, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import type { PasswordCheck } from '@twofa/password-policy';
import { PASSWORD_MIN_LENGTH } from '@twofa/password-policy/limits';
import { rateLimitText, readApiError } from '../../core/auth/api-error';
import { AccountApi } from '../../core/account/account.api';
import { EmailField } from '../../shared/email-field';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';
import { PasswordField } from '../../shared/password-field';

/** The password rule the server applies (DESIGN §6.14), from the module the API uses too. */
type PasswordPolicy = typeof import('@twofa/password-policy');

export const MIN_PASSWORD_LENGTH = PASSWORD_MIN_LENGTH;
const DEFAULT_HINT = `At least ${MIN_PASSWORD_LENGTH} characters. A passphrase of a few words works well.`;

@Component({
  selector: 'app-register-page',
  imports: [ReactiveFormsModule, RouterLink, EmailField, PasswordField],
  templateUrl: './register.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class RegisterPage {
  private readonly account = inject(AccountApi);
  private readonly router = inject(Router);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);

  protected readonly minLength = MIN_PASSWORD_LENGTH;
  protected readonly error = signal<string | null>(null);
  protected readonly emailTaken = signal(false);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  /**
   * The rule with its dictionaries (~1.6 MB) loads in the background: the page works without it
   * (the server applies the same rule), it only adds the live hint and the check before sending.
   */
  private readonly policy = signal<PasswordPolicy | null>(null);
  private lastCheck: { password: string; email: string; result: PasswordCheck } | null = null;

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', [Validators.required, Validators.minLength(MIN_PASSWORD_LENGTH), (c: AbstractControl) => this.policyErrors(c)]],
  });

  constructor() {
    const password = this.form.controls.password;
    // The rule depends on the email too (a password must not contain its name part).
    this.form.controls.email.valueChanges.pipe(takeUntilDestroyed(inject(DestroyRef))).subscribe(() => password.updateValueAndValidity());
    import('@twofa/password-policy').then(
      (module) => {
        // a CommonJS package: the production bundle puts its exports under `default`
        const policy = ((module as { default?: PasswordPolicy }).default ?? module) as PasswordPolicy;
        this.policy.set(policy);
        password.updateValueAndValidity();
      },
      () => undefined, // offline or blocked: the server still checks
    );
  }

  /** zxcvbn runs once per distinct (password, email), not once per change detection. */
  private check(password: string): PasswordCheck | null {
    const policy = this.policy();
    if (!policy || !password) return null;
    const email = this.form?.controls.email.value.trim() ?? '';
    if (this.lastCheck?.password !== password || this.lastCheck.email !== email) {
      this.lastCheck = { password, email, result: policy.checkPassword(password, email) };
    }
    return this.lastCheck.result;
  }

  private policyErrors(control: AbstractControl): ValidationErrors | null {
    const result = this.check(String(control.value ?? ''));
    return result && !result.ok ? { passwordPolicy: result.message } : null;
  }

  /** Under the field while typing: how strong it is, or why it would be refused. */
  protected passwordHint(): string {
    const result = this.check(this.form.controls.password.value);
    if (!result || result.reason === 'too_short') return DEFAULT_HINT;
    if (result.ok) return result.score === 4 ? 'Strong password.' : 'Good password.';
    // once the error is shown it carries this message: the hint goes back to the advice
    return this.showError('password') ? DEFAULT_HINT : `Password ${result.message}.`;
  }

  protected passwordError(): string {
    const control = this.form.controls.password;
    if (control.hasError('required')) return 'Choose a password.';
    if (control.hasError('minlength')) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
    const policy = control.getError('passwordPolicy') as string | null;
    return policy ? `Password ${policy}.` : `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  }

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
    this.account.register({ email: email.trim(), password }).subscribe({
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
          this.error.set(rateLimitText(e));
        } else {
          this.error.set(e.message);
        }
      },
    });
  }
}
