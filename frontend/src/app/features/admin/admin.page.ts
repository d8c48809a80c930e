import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, OnInit, inject, signal, viewChild } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { AdminApi, AdminUser } from '../../core/admin/admin.api';
import { readApiError } from '../../core/auth/api-error';
import { MessageResponse, PasswordAndProof } from '../../core/auth/api.types';
import { TwoFactorApi } from '../../core/two-factor/two-factor.api';
import { showControlError } from '../../shared/form-state';
import { PasswordProofDialog } from '../../shared/password-proof-dialog';
import { AccountFactors } from '../../shared/second-factor-proof';

export const REASON_MIN_LENGTH = 10;

/**
 * Admin recovery: find a user by email, see their 2FA state and whether code entry or password
 * sign-in is locked, reset their 2FA with a written reason (the user is emailed a link to set it
 * up again), or unlock them.
 *
 * Both actions carry the admin's own password AND second factor (DESIGN.md §6 rule 7), asked in the
 * shared PasswordProofDialog before anything is sent; its refusals (wrong password or code, the
 * wait after a 429) are shown there.
 */
@Component({
  selector: 'app-admin-page',
  imports: [ReactiveFormsModule, DatePipe, PasswordProofDialog],
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
  private readonly twoFactor = inject(TwoFactorApi);
  private readonly fb = inject(NonNullableFormBuilder);
  private readonly resetDialog = viewChild.required<PasswordProofDialog<MessageResponse>>('resetDialog');
  private readonly unlockDialog = viewChild.required<PasswordProofDialog<MessageResponse>>('unlockDialog');

  protected readonly reasonMin = REASON_MIN_LENGTH;
  protected readonly users = signal<AdminUser[]>([]);
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loadError = signal<string | null>(null);
  /** the row whose reset form is open */
  protected readonly resetting = signal<AdminUser | null>(null);
  /** the locked row whose unlock waits for the admin's proof */
  protected readonly unlocking = signal<AdminUser | null>(null);
  protected readonly submitted = signal(false);
  protected readonly notice = signal<string | null>(null);
  /** The admin's own second factors (GET /auth/2fa/status): what the proof dialog offers. */
  private readonly factors = signal<AccountFactors>({ totp: true, passkeys: 0 });
  private query = '';

  protected readonly searchForm = this.fb.group({ query: [''] });
  protected readonly resetForm = this.fb.group({
    reason: ['', [Validators.required, Validators.minLength(REASON_MIN_LENGTH), Validators.maxLength(500)]],
  });

  ngOnInit(): void {
    this.load();
    this.twoFactor.status().subscribe({
      next: (s) => this.factors.set({ totp: s.totp ?? s.enabled, passkeys: s.passkeys ?? 0 }),
      error: () => undefined, // the dialog offers the app's code and a backup code
    });
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
    this.notice.set(null);
    this.resetting.set(user);
  }

  protected cancelReset(): void {
    this.resetting.set(null);
  }

  protected reasonInvalid(): boolean {
    return showControlError(this.resetForm.controls.reason, this.submitted());
  }

  /** The reason is written: the admin's password and second factor next, in the dialog. */
  protected confirmReset(): void {
    this.submitted.set(true);
    if (!this.resetting()) return;
    if (this.resetForm.invalid) {
      this.resetForm.markAllAsTouched();
      return;
    }
    this.resetDialog().open(this.factors());
  }

  protected readonly reset = (proof: PasswordAndProof) =>
    this.api.resetTwoFactor(this.resetting()?.id ?? '', this.resetForm.controls.reason.value.trim(), proof);

  protected onReset(): void {
    const user = this.resetting();
    if (!user) return;
    this.resetting.set(null);
    this.notice.set(`Two-factor authentication of ${user.email} was reset. They were emailed a link to set it up again.`);
    this.replace({ ...user, twoFactorEnabled: false, twoFactorSetupRequired: true, backupCodesRemaining: 0, rememberedDevices: 0, locked: false, lockedUntil: null });
  }

  /** The row's Unlock button: the admin's password and second factor first, in the dialog. */
  protected openUnlock(user: AdminUser): void {
    this.notice.set(null);
    this.resetting.set(null);
    this.unlocking.set(user);
    this.unlockDialog().open(this.factors());
  }

  protected readonly unlock = (proof: PasswordAndProof) => this.api.unlock(this.unlocking()?.id ?? '', proof);

  protected onUnlocked(): void {
    const user = this.unlocking();
    if (!user) return;
    this.unlocking.set(null);
    this.notice.set(`${user.email} was unlocked and emailed.`);
    this.replace({ ...user, locked: false, lockedUntil: null, loginLocked: false, loginLockedUntil: null });
  }

  private replace(user: AdminUser): void {
    this.users.set(this.users().map((u) => (u.id === user.id ? user : u)));
  }
}
