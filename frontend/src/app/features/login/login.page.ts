import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { Router, RouterLink } from '@angular/router';
import { Observable, Subscription, of, switchMap } from 'rxjs';
import { ApiError, rateLimitText, readApiError } from '../../core/auth/api-error';
import { LoginFlow } from '../../core/auth/login-flow';
import { PasskeyAssertion } from '../../core/auth/api.types';
import { SessionStore } from '../../core/auth/session.store';
import { PasskeySignIn, passkeySignInErrorMessage } from '../../core/passkeys/passkey-sign-in';
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
  styles: `
    .passkey-sign-in {
      margin-top: var(--space-4);
    }
    .or {
      margin: 0 0 var(--space-2);
      text-align: center;
      color: var(--color-muted);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginPage {
  private readonly session = inject(SessionStore);
  private readonly flow = inject(LoginFlow);
  private readonly router = inject(Router);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly passkeys = inject(PasskeySignIn);
  /** The passkey autofill waiting in the email field (aborted when the page is left or the button is used). */
  private autofill: Subscription | null = null;
  private left = false;

  protected readonly notice = signal(this.session.takeNotice());
  protected readonly error = signal<string | null>(null);
  protected readonly passkeyError = signal<string | null>(null);
  protected readonly passkeySupported = this.passkeys.supported();
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', [Validators.required, Validators.email]],
    password: ['', [Validators.required]],
  });

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.left = true;
      this.stopAutofill();
    });
    this.startAutofill();
  }

  protected showError(name: 'email' | 'password'): boolean {
    return showControlError(this.form.controls[name], this.submitted());
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy()) return;
    if (rejectInvalidForm(this.form, this.host.nativeElement)) return;
    const { email, password } = this.form.getRawValue();
    this.begin();
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

  /** "Sign in with a passkey": options → the browser's prompt → POST /auth/passkey/login. */
  protected signInWithPasskey(): void {
    if (this.busy()) return;
    this.stopAutofill(); // one WebAuthn request at a time: the prompt replaces the autofill
    this.passkeyLogin(this.passkeys.prompt());
  }

  private startAutofill(): void {
    this.stopAutofill();
    if (this.left) return;
    this.autofill = this.passkeys.autofill().subscribe((assertion) => {
      if (!this.busy()) this.passkeyLogin(of(assertion));
    });
  }

  private stopAutofill(): void {
    this.autofill?.unsubscribe();
    this.autofill = null;
  }

  private passkeyLogin(assertion: Observable<PasskeyAssertion>): void {
    this.begin();
    assertion.pipe(switchMap((response) => this.flow.loginWithPasskey(response))).subscribe({
      next: () => {
        this.busy.set(false);
        void this.router.navigateByUrl(this.session.takeReturnUrl());
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.passkeyError.set(passkeySignInErrorMessage(err));
        // A fresh challenge for the autofill, unless the server asked to wait.
        if (readApiError(err).status !== 429) this.startAutofill();
      },
    });
  }

  /** A new attempt: the old message goes. */
  private begin(): void {
    this.busy.set(true);
    this.error.set(null);
    this.passkeyError.set(null);
    this.notice.set(null);
  }
}
