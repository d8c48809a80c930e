import { Injectable, computed, inject, signal } from '@angular/core';
import { readApiError } from '../../core/auth/api-error';
import { TwoFactorStatus } from '../../core/auth/api.types';
import { SessionStore } from '../../core/auth/session.store';
import { TwoFactorApi } from '../../core/two-factor/two-factor.api';
import { AccountFactors } from '../../shared/second-factor-proof';

export type BackupCodesReason = 'enabled' | 'regenerated';

/**
 * What the profile knows about the user's second factors (GET /auth/2fa/status), shared by its
 * cards. "2FA on" = an authenticator app (TOTP) or at least one passkey. Provided by ProfilePage:
 * each visit starts fresh.
 */
@Injectable()
export class TwoFactorStatusStore {
  private readonly api = inject(TwoFactorApi);
  private readonly session = inject(SessionStore);

  readonly state = signal<'loading' | 'error' | 'ready'>('loading');
  readonly loadError = signal<string | null>(null);
  readonly enabled = signal(false);
  readonly totp = signal(false);
  readonly passkeys = signal(0);
  readonly backupCodesRemaining = signal<number | null>(null);
  /** What the proof of a change may use (PasswordProofDialog.open). */
  readonly factors = computed<AccountFactors>(() => ({ totp: this.totp(), passkeys: this.passkeys() }));
  /** A page-level message ("Two-factor authentication is off."). */
  readonly notice = signal<string | null>(null);
  /** New backup codes, shown once until the user says they saved them. */
  readonly shownCodes = signal<{ codes: string[]; reason: BackupCodesReason } | null>(null);
  /** The API answered TWOFA_SETUP_REQUIRED (an admin whose role /auth/me did not say yet). */
  private readonly setupRequiredByApi = signal(false);

  /**
   * An ADMIN without 2FA may only set it up (DESIGN §6.9): every other card would fail, so only the
   * two-factor card is shown.
   */
  readonly setupRequired = computed(() => {
    if (this.enabled()) return false;
    const user = this.session.user();
    // issue 14: /auth/me says whether 2FA is required yet (grace period); a login answer does not
    return this.setupRequiredByApi() || (!!user && !user.twoFactorEnabled && (user.twoFactorRequirement?.blocked ?? user.role === 'ADMIN'));
  });

  /** `loaded` runs once the status is known (not after an error). */
  load(loaded?: () => void): void {
    this.state.set('loading');
    this.loadError.set(null);
    this.api.status().subscribe({
      next: (status) => {
        this.apply(status);
        this.state.set('ready');
        loaded?.();
      },
      error: (err: unknown) => {
        const e = readApiError(err);
        if (e.code === 'TWOFA_SETUP_REQUIRED') {
          // An ADMIN without 2FA may only set it up: fall back on what /auth/me said.
          const on = this.session.user()?.twoFactorEnabled ?? false;
          this.enabled.set(on);
          this.setupRequiredByApi.set(!on);
          this.notice.set('Your account requires two-factor authentication. Please turn it on to continue.');
          this.state.set('ready');
          loaded?.();
        } else {
          this.loadError.set(`Could not load your two-factor status. ${e.message}`);
          this.state.set('error');
        }
      },
    });
  }

  /** A factor was added: 2FA is on; `backupCodes` came with it when it was the first one. */
  factorAdded(kind: 'totp' | 'passkey', backupCodes?: string[]): void {
    this.enabled.set(true);
    if (kind === 'totp') this.totp.set(true);
    else this.passkeys.update((n) => n + 1);
    this.notice.set(null);
    this.session.updateUser({ twoFactorEnabled: true });
    if (backupCodes?.length) {
      this.backupCodesRemaining.set(backupCodes.length);
      this.showCodes(backupCodes, 'enabled');
    }
  }

  /** A passkey was removed; `twoFactorEnabled` is the API's word on whether any factor is left. */
  passkeyRemoved(twoFactorEnabled: boolean): void {
    this.passkeys.update((n) => Math.max(0, n - 1));
    if (!twoFactorEnabled) this.turnedOff();
  }

  /** 2FA is off: no factor, no backup codes. */
  turnedOff(): void {
    this.enabled.set(false);
    this.totp.set(false);
    this.passkeys.set(0);
    this.backupCodesRemaining.set(null);
    this.session.updateUser({ twoFactorEnabled: false });
  }

  showCodes(codes: string[], reason: BackupCodesReason): void {
    if (reason === 'regenerated') this.backupCodesRemaining.set(codes.length);
    this.shownCodes.set({ codes, reason });
  }

  private apply(status: TwoFactorStatus): void {
    this.enabled.set(status.enabled);
    // An API without the per-factor fields only knew TOTP.
    this.totp.set(status.totp ?? status.enabled);
    this.passkeys.set(status.passkeys ?? 0);
    this.backupCodesRemaining.set(status.backupCodesRemaining);
  }
}
