import { ChangeDetectionStrategy, Component, ElementRef, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { ActivatedRoute, RouterLink } from '@angular/router';
import { PASSWORD_MIN_LENGTH } from '@twofa/password-policy/limits';
import { PasswordApi } from '../../core/account/password.api';
import { ApiError, rateLimitText, readApiError } from '../../core/auth/api-error';
import { SessionStore } from '../../core/auth/session.store';
import { rejectInvalidForm, showControlError } from '../../shared/form-state';
import { NewPasswordRule } from '../../shared/new-password';
import { PasswordField } from '../../shared/password-field';

export const PASSWORD_RESET_NOTICE = 'Your password was reset and every session was signed out. Log in with your new password.';

const LINK_ERRORS = new Set(['RESET_LINK_INVALID', 'RESET_LINK_USED', 'RESET_LINK_EXPIRED']);

/** The token is in the fragment (`#token=…`): a fragment never reaches a server log or a Referer header. */
export function tokenFromFragment(fragment: string | null): string | null {
  const token = new URLSearchParams(fragment ?? '').get('token');
  return token && /^[A-Za-z0-9_-]{1,200}$/.test(token) ? token : null;
}

/** The page a reset email links to: checks the link, then asks for the new password. */
@Component({
  selector: 'app-reset-password-page',
  imports: [ReactiveFormsModule, RouterLink, PasswordField],
  templateUrl: './reset-password.page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ResetPasswordPage implements OnInit {
  private readonly api = inject(PasswordApi);
  private readonly session = inject(SessionStore);
  private readonly route = inject(ActivatedRoute);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private token: string | null = null;

  protected readonly minLength = PASSWORD_MIN_LENGTH;
  /** checking → ready (the form) | broken (the link cannot be used) */
  protected readonly state = signal<'checking' | 'ready' | 'broken'>('checking');
  protected readonly email = signal('');
  protected readonly linkError = signal<string | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);

  private readonly rule = new NewPasswordRule(
    () => this.email(),
    () => this.form.controls.password.updateValueAndValidity(),
  );

  protected readonly form = inject(NonNullableFormBuilder).group({
    password: ['', [Validators.required, Validators.minLength(PASSWORD_MIN_LENGTH), this.rule.validator]],
  });

  ngOnInit(): void {
    this.token = tokenFromFragment(this.route.snapshot.fragment);
    // the secret leaves the address bar (and the history) at once
    if (typeof history !== 'undefined') history.replaceState(history.state, '', '/reset-password');
    if (!this.token) {
      this.brokenLink('This link is incomplete. Open the link from the email again, or ask for a new one.');
      return;
    }
    this.api.checkResetLink(this.token).subscribe({
      next: ({ email }) => {
        this.email.set(email);
        this.state.set('ready');
        this.form.controls.password.updateValueAndValidity();
      },
      error: (err: unknown) => this.onLinkError(readApiError(err)),
    });
  }

  protected showError(): boolean {
    return showControlError(this.form.controls.password, this.submitted());
  }

  protected passwordHint(): string {
    return this.rule.hint(this.form.controls.password.value, this.showError());
  }

  protected passwordError(): string {
    return this.rule.error(this.form.controls.password);
  }

  protected submit(): void {
    this.submitted.set(true);
    if (this.busy() || !this.token) return;
    if (rejectInvalidForm(this.form, this.host.nativeElement)) return;
    this.busy.set(true);
    this.error.set(null);
    this.api.reset(this.token, this.form.controls.password.value).subscribe({
      next: () => {
        this.busy.set(false);
        // every session ended, this browser's too: log in again (the second factor is still asked)
        this.session.expire(PASSWORD_RESET_NOTICE);
      },
      error: (err: unknown) => {
        this.busy.set(false);
        const e = readApiError(err);
        if (LINK_ERRORS.has(e.code)) return this.onLinkError(e);
        this.error.set(e.status === 429 ? rateLimitText(e) : e.message);
      },
    });
  }

  private onLinkError(e: ApiError): void {
    this.brokenLink(LINK_ERRORS.has(e.code) || e.status === 429 ? e.message : `The link could not be checked: ${e.message}`);
  }

  private brokenLink(message: string): void {
    this.token = null;
    this.linkError.set(message);
    this.state.set('broken');
  }
}
