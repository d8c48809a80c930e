import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { MessageResponse, SecondFactorProof, UserResponse } from '../auth/api.types';
import { skipSessionRefresh } from '../auth/http-context';

/** `{currentPassword, newPassword}` plus, when 2FA is on, `{code}`, `{backupCode}` or `{passkey}`. */
export type ChangePasswordRequest = { currentPassword: string; newPassword: string } & (
  | SecondFactorProof
  | { code?: never; backupCode?: never; passkey?: never }
);

/**
 * Passwords (issue 14): change while signed in, and the reset-by-email flow. The reset calls need
 * no session, so a 401 there is never a reason to refresh one.
 */
@Injectable({ providedIn: 'root' })
export class PasswordApi {
  private readonly http = inject(HttpClient);

  /** The server re-issues this session's cookies; every other session ends. */
  change(body: ChangePasswordRequest): Observable<MessageResponse & UserResponse> {
    return this.http.post<MessageResponse & UserResponse>('/auth/password/change', body);
  }

  /** 202 with the same message whether or not the email has an account. */
  forgot(email: string): Observable<MessageResponse> {
    return this.http.post<MessageResponse>('/auth/password/forgot', { email }, skipSessionRefresh());
  }

  /** The account a reset link is for; 400 RESET_LINK_INVALID / _USED / _EXPIRED otherwise. */
  checkResetLink(token: string): Observable<{ email: string }> {
    return this.http.post<{ email: string }>('/auth/password/reset/check', { token }, skipSessionRefresh());
  }

  reset(token: string, password: string): Observable<MessageResponse> {
    return this.http.post<MessageResponse>('/auth/password/reset', { token, password }, skipSessionRefresh());
  }
}
