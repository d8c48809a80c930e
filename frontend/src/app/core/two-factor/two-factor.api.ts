import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, tap } from 'rxjs';
import {
  BackupCodesResponse,
  FactorSetupProof,
  MessageResponse,
  PasswordAndProof,
  TotpRemoved,
  TwoFactorEnableResult,
  TwoFactorSetupResponse,
  TwoFactorStatus,
} from '../auth/api.types';
import { SessionStore } from '../auth/session.store';

/**
 * Managing two-factor authentication from the profile (DESIGN.md §5 /auth/2fa/*, except the login
 * step, which belongs to LoginFlow). Keeps `SessionStore.user().twoFactorEnabled` in step.
 */
@Injectable({ providedIn: 'root' })
export class TwoFactorApi {
  private readonly http = inject(HttpClient);
  private readonly session = inject(SessionStore);

  status(): Observable<TwoFactorStatus> {
    return this.http.get<TwoFactorStatus>('/auth/2fa/status');
  }

  /**
   * Starts (or continues) the app's setup. Without 2FA: `{}`, or `{password}` once the API answered
   * REAUTH_REQUIRED; with a passkey already: the password AND a second factor; after an admin reset:
   * `{enrolmentToken, password}`.
   */
  setup(proof: FactorSetupProof = {}): Observable<TwoFactorSetupResponse> {
    return this.http.post<TwoFactorSetupResponse>('/auth/2fa/setup', proof);
  }

  /**
   * Confirms the key that the proven setup issued: `{token}` only (the proof was given at setup).
   * `backupCodes` only when TOTP is the user's first factor (a passkey user keeps the codes they have).
   */
  enable(token: string): Observable<TwoFactorEnableResult> {
    return this.http
      .post<TwoFactorEnableResult>('/auth/2fa/enable', { token })
      .pipe(tap(() => this.session.updateUser({ twoFactorEnabled: true })));
  }

  /** Both factors: `{password}` and `{code}`, `{backupCode}` or `{passkey}`. */
  disable(body: PasswordAndProof): Observable<MessageResponse> {
    return this.http
      .post<MessageResponse>('/auth/2fa/disable', body)
      .pipe(tap(() => this.session.updateUser({ twoFactorEnabled: false })));
  }

  /**
   * Removes the authenticator app only (the passkeys stay): the password and `{code}`,
   * `{backupCode}` or `{passkey}`. `twoFactorEnabled: false` when the app was the last factor.
   */
  removeTotp(body: PasswordAndProof): Observable<TotpRemoved> {
    return this.http
      .post<TotpRemoved>('/auth/2fa/totp/remove', body)
      .pipe(tap((r) => this.session.updateUser({ twoFactorEnabled: r.twoFactorEnabled })));
  }

  /** The password AND `{code}`, `{backupCode}` or `{passkey}` (rule 7); the old codes stop working. */
  regenerateBackupCodes(body: PasswordAndProof): Observable<BackupCodesResponse> {
    return this.http.post<BackupCodesResponse>('/auth/2fa/backup-codes', body);
  }
}
