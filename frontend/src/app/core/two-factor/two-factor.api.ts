import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, tap } from 'rxjs';
import {
  BackupCodesRequest,
  BackupCodesResponse,
  TotpRemoved,
  MessageResponse,
  SecondFactorProof,
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

  /** `{}`, or `{password}` once the API answered REAUTH_REQUIRED (login over 10 minutes old). */
  setup(password?: string): Observable<TwoFactorSetupResponse> {
    return this.http.post<TwoFactorSetupResponse>('/auth/2fa/setup', password ? { password } : {});
  }

  /** `backupCodes` only when TOTP is the user's first factor (a passkey user keeps the codes they have). */
  enable(token: string, password?: string): Observable<TwoFactorEnableResult> {
    const body = password ? { token, password } : { token };
    return this.http
      .post<TwoFactorEnableResult>('/auth/2fa/enable', body)
      .pipe(tap(() => this.session.updateUser({ twoFactorEnabled: true })));
  }

  /** Both factors: `{password}` and `{code}`, `{backupCode}` or `{passkey}`. */
  disable(body: { password: string } & SecondFactorProof): Observable<MessageResponse> {
    return this.http
      .post<MessageResponse>('/auth/2fa/disable', body)
      .pipe(tap(() => this.session.updateUser({ twoFactorEnabled: false })));
  }

  /**
   * Removes the authenticator app only (the passkeys stay): the password and `{code}`,
   * `{backupCode}` or `{passkey}`. `twoFactorEnabled: false` when the app was the last factor.
   */
  removeTotp(body: { password: string } & SecondFactorProof): Observable<TotpRemoved> {
    return this.http
      .post<TotpRemoved>('/auth/2fa/totp/remove', body)
      .pipe(tap((r) => this.session.updateUser({ twoFactorEnabled: r.twoFactorEnabled })));
  }

  /** `{code}`, `{backupCode}` or `{passkey}`, plus `{password}` after REAUTH_REQUIRED; the old codes stop working. */
  regenerateBackupCodes(body: BackupCodesRequest | (SecondFactorProof & { password?: string })): Observable<BackupCodesResponse> {
    return this.http.post<BackupCodesResponse>('/auth/2fa/backup-codes', body);
  }
}
