import { DatePipe, NgTemplateOutlet } from '@angular/common';
import { ChangeDetectionStrategy, Component, Injector, OnInit, afterNextRender, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { AdminApi, AdminUser } from '../../core/admin/admin.api';
import { describeProofError, readApiError } from '../../core/auth/api-error';
import { showControlError } from '../../shared/form-state';
import { PasswordField } from '../../shared/password-field';

export const REASON_MIN_LENGTH = 10;
export const ADMIN_REAUTH_HINT = 'Your sign-in is over 10 minutes old: enter your own password to confirm this action.';

/**
 * Admin recovery: find a user by email, see their 2FA state and whether code entry or password
 * sign-in is locked, reset their 2FA with a written reason (the user is emailed and must set it up
 * again), or unlock them.
 *
 * Both actions need the admin's recent sign-in (DESIGN §6.7). When the API answers 401
 * REAUTH_REQUIRED, the action's card asks "Confirm your password" and sends the action again with
 * it; INVALID_PASSWORD (attempts left) and TOO_MANY_ATTEMPTS are shown there. That 401 is not a
 * lost session: the session interceptor passes it through untouched.
 */
@Component({
  selector: 'app-admin-page',
  imports: [ReactiveFormsModule, DatePipe, NgTemplateOutlet, PasswordField],
  templateUrl: './admin.page.html',
  styles: `
    .admin-search { display: flex; gap: 0.75rem; align-items: flex-end; flex-wrap: wrap; }
    .admin-search .field { flex: 1 1 16rem; margin-bottom: 0; }
    .table-wrap { overflow-x: auto; margin: 1rem 0; }
    table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
    th, td { text-align: left; padding: 0.5rem 0.6rem; border-bottom: 1px solid var(--border, #ddd); vertical-align: top; }
    td.actions { white-space: nowrap; display: flex; gap: 0.4rem; }
    td:first-child { overflow-wrap: anywhere; min-width: 12rem; }
    textarea { width: 100%; font: inherit; }
    .lock { display: block; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminPage implements OnInit {
  private readonly api = inject(AdminApi);
  private readonly fb = inject(NonNullableFormBuilder);
  private readonly injector = inject(Injector);

  protected readonly reasonMin = REASON_MIN_LENGTH;
  protected readonly users = signal<AdminUser[]>([]);
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loadError = signal<string | null>(null);
  /** the row whose reset form is open */
  protected readonly resetting = signal<AdminUser | null>(null);
  protected readonly busy = signal(false);
  protected readonly submitted = signal(false);
  protected readonly actionError = signal<string | null>(null);
  protected readonly notice = signal<string | null>(null);
  /** the locked row whose unlock waits for the admin's password (after REAUTH_REQUIRED) */
  protected readonly unlocking = signal<AdminUser | null>(null);
  protected readonly reauthHint = ADMIN_REAUTH_HINT;
  /** The admin's own password: enabled once the API asked for it, until an action passes with it. */
  protected readonly reauthForm = this.fb.group({ password: [{ value: '', disabled: true }, [Validators.required]] });
  protected readonly password = this.reauthForm.controls.password;
  /** INVALID_PASSWORD with the attempts left, shown as the password field's error */
  protected readonly passwordError = signal<string | null>(null);
  protected readonly passwordSubmitted = signal(false);
  /** TOO_MANY_ATTEMPTS and other refusals of the open card */
  protected readonly cardError = signal<string | null>(null);
  private query = '';

  protected readonly searchForm = this.fb.group({ query: [''] });
  protected readonly resetForm = this.fb.group({
    reason: ['', [Validators.required, Validators.minLength(REASON_MIN_LENGTH), Validators.maxLength(500)]],
  });

  ngOnInit(): void {
    this.load();
  }

  protected search(): void {
    this.query = this.searchForm.controls.query.value.trim();
    this.load();
  }

  protected loadMore(): void {
    const after = this.nextCursor();
    if (after) this.load(after);
  }

  private load(after?: string): void {
    this.loading.set(true);
    this.loadError.set(null);
    this.api.users({ query: this.query || undefined, after }).subscribe({
      next: (page) => {
        this.loading.set(false);
        this.users.set(after ? [...this.users(), ...page.users] : page.users);
        this.nextCursor.set(page.nextCursor);
      },
      error: (err: unknown) => {
        this.loading.set(false);
        this.loadError.set(readApiError(err).message);
      },
    });
  }

  protected openReset(user: AdminUser): void {
    this.resetForm.reset();
    this.submitted.set(false);
    this.actionError.set(null);
    this.notice.set(null);
    this.unlocking.set(null);
    this.clearPassword();
    this.resetting.set(user);
  }

  protected cancelReset(): void {
    this.resetting.set(null);
  }

  protected cancelUnlock(): void {
    this.unlocking.set(null);
  }

  protected passwordInvalid(): boolean {
    return this.passwordError() !== null || showControlError(this.password, this.passwordSubmitted());
  }

  protected reasonInvalid(): boolean {
    return showControlError(this.resetForm.controls.reason, this.submitted());
  }

  protected confirmReset(): void {
    this.submitted.set(true);
    const user = this.resetting();
    if (!user || this.busy()) return;
    if (this.resetForm.invalid) {
      this.resetForm.markAllAsTouched();
      return;
    }
    if (!this.passwordReady()) return;
    const password = this.passwordToSend();
    this.busy.set(true);
    this.actionError.set(null);
    this.cardError.set(null);
    this.api.resetTwoFactor(user.id, this.resetForm.controls.reason.value.trim(), password).subscribe({
      next: () => {
        this.busy.set(false);
        this.resetting.set(null);
        this.passed();
        this.notice.set(`Two-factor authentication of ${user.email} was reset. They were emailed and must set it up again at their next sign-in.`);
        this.replace({ ...user, twoFactorEnabled: false, twoFactorSetupRequired: true, backupCodesRemaining: 0, rememberedDevices: 0, locked: false, lockedUntil: null });
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.refused(err, password);
      },
    });
  }

  /** The row's Unlock button; when the API asks for the password, the unlock card opens for it. */
  protected unlock(user: AdminUser): void {
    if (this.busy()) return;
    this.notice.set(null);
    this.sendUnlock(user, undefined);
  }

  /** The unlock card (opened by REAUTH_REQUIRED): the same unlock, with the admin's password. */
  protected confirmUnlock(): void {
    const user = this.unlocking();
    if (!user || this.busy() || !this.passwordReady()) return;
    this.sendUnlock(user, this.passwordToSend());
  }

  private sendUnlock(user: AdminUser, password: string | undefined): void {
    this.busy.set(true);
    this.actionError.set(null);
    this.cardError.set(null);
    this.api.unlock(user.id, password).subscribe({
      next: () => {
        this.busy.set(false);
        this.unlocking.set(null);
        this.passed();
        this.notice.set(`${user.email} was unlocked and emailed.`);
        this.replace({ ...user, locked: false, lockedUntil: null, loginLocked: false, loginLockedUntil: null });
      },
      error: (err: unknown) => {
        this.busy.set(false);
        if (readApiError(err).code === 'REAUTH_REQUIRED' && this.unlocking()?.id !== user.id) {
          this.resetting.set(null);
          this.unlocking.set(user);
        }
        this.refused(err, password);
      },
    });
  }

  /** Whether the password, when asked for, was typed (else its error shows and it gets the focus). */
  private passwordReady(): boolean {
    this.passwordSubmitted.set(true);
    this.passwordError.set(null);
    if (this.password.disabled || this.password.valid) return true;
    this.password.markAsTouched();
    this.focusPassword();
    return false;
  }

  private passwordToSend(): string | undefined {
    return this.password.enabled ? this.password.value : undefined;
  }

  /** An action passed: a password given renewed the sign-in, so none is asked for the next 10 minutes. */
  private passed(): void {
    this.clearPassword();
    this.password.disable();
  }

  private clearPassword(): void {
    this.password.reset();
    this.passwordSubmitted.set(false);
    this.passwordError.set(null);
    this.cardError.set(null);
  }

  /**
   * REAUTH_REQUIRED: ask for the password in the card; INVALID_PASSWORD: the field's error with
   * the attempts left; TOO_MANY_ATTEMPTS: the card's error with the wait; anything else: the page's.
   */
  private refused(err: unknown, sentPassword: string | undefined): void {
    const e = readApiError(err);
    if (e.code === 'REAUTH_REQUIRED' || (e.code === 'INVALID_PASSWORD' && sentPassword === undefined)) {
      this.clearPassword();
      this.password.enable();
      this.focusPassword();
    } else if (e.code === 'INVALID_PASSWORD') {
      this.password.reset();
      this.passwordError.set(describeProofError(e));
      this.focusPassword();
    } else if ((e.status === 429 || e.code === 'TOO_MANY_ATTEMPTS') && (this.resetting() || this.unlocking())) {
      this.cardError.set(describeProofError(e));
    } else {
      this.actionError.set(e.message);
    }
  }

  private focusPassword(): void {
    afterNextRender(() => document.querySelector<HTMLInputElement>('#admin-password')?.focus(), { injector: this.injector });
  }

  private replace(user: AdminUser): void {
    this.users.set(this.users().map((u) => (u.id === user.id ? user : u)));
  }
}
