import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, OnInit, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { AdminApi, AdminUser } from '../../core/admin/admin.api';
import { readApiError } from '../../core/auth/api-error';
import { showControlError } from '../../shared/form-state';

export const REASON_MIN_LENGTH = 10;

/**
 * Admin recovery: find a user by email, see their 2FA state and whether they are locked, reset
 * their 2FA with a written reason (the user is emailed and must set it up again), or unlock them.
 */
@Component({
  selector: 'app-admin-page',
  imports: [ReactiveFormsModule, DatePipe],
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
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminPage implements OnInit {
  private readonly api = inject(AdminApi);
  private readonly fb = inject(NonNullableFormBuilder);

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
    this.resetting.set(user);
  }

  protected cancelReset(): void {
    this.resetting.set(null);
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
    this.busy.set(true);
    this.actionError.set(null);
    this.api.resetTwoFactor(user.id, this.resetForm.controls.reason.value.trim()).subscribe({
      next: () => {
        this.busy.set(false);
        this.resetting.set(null);
        this.notice.set(`Two-factor authentication of ${user.email} was reset. They were emailed and must set it up again at their next sign-in.`);
        this.replace({ ...user, twoFactorEnabled: false, twoFactorSetupRequired: true, backupCodesRemaining: 0, rememberedDevices: 0, locked: false, lockedUntil: null });
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.actionError.set(readApiError(err).message);
      },
    });
  }

  protected unlock(user: AdminUser): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.actionError.set(null);
    this.notice.set(null);
    this.api.unlock(user.id).subscribe({
      next: () => {
        this.busy.set(false);
        this.notice.set(`${user.email} was unlocked and emailed.`);
        this.replace({ ...user, locked: false, lockedUntil: null });
      },
      error: (err: unknown) => {
        this.busy.set(false);
        this.actionError.set(readApiError(err).message);
      },
    });
  }

  private replace(user: AdminUser): void {
    this.users.set(this.users().map((u) => (u.id === user.id ? user : u)));
  }
}
