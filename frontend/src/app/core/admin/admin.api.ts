import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { Observable } from 'rxjs';
import { MessageResponse } from '../auth/api.types';
import { SessionStore } from '../auth/session.store';

/** One row of GET /auth/admin/users. */
export interface AdminUser {
  id: string;
  email: string;
  role: 'USER' | 'ADMIN';
  createdAt: string;
  twoFactorEnabled: boolean;
  /** an admin reset it: the user must set it up at the next sign-in */
  twoFactorSetupRequired: boolean;
  backupCodesRemaining: number;
  rememberedDevices: number;
  lastSignInAt: string | null;
  /** code entry locked by wrong codes */
  locked: boolean;
  lockedUntil: string | null;
  /** password sign-in locked by wrong passwords (browsers without a device cookie of the user) */
  loginLocked: boolean;
  loginLockedUntil: string | null;
}

export interface AdminUsersResponse {
  users: AdminUser[];
  /** the last email of this page, for `after`; null on the last page */
  nextCursor: string | null;
}

/** Admin recovery (issue 14): /auth/admin/* — admins with 2FA on only. */
@Injectable({ providedIn: 'root' })
export class AdminApi {
  private readonly http = inject(HttpClient);

  users(page: { query?: string; after?: string; limit?: number } = {}): Observable<AdminUsersResponse> {
    let params = new HttpParams();
    if (page.query) params = params.set('query', page.query);
    if (page.after) params = params.set('after', page.after);
    if (page.limit) params = params.set('limit', page.limit);
    return this.http.get<AdminUsersResponse>('/auth/admin/users', { params });
  }

  /**
   * `password`: the admin's own, only when the API answered 401 REAUTH_REQUIRED (their sign-in is
   * over 10 minutes old). The session interceptor leaves that 401 to the caller.
   */
  resetTwoFactor(userId: string, reason: string, password?: string): Observable<MessageResponse> {
    const body = password === undefined ? { reason } : { reason, password };
    return this.http.post<MessageResponse>(`/auth/admin/users/${encodeURIComponent(userId)}/reset-2fa`, body);
  }

  unlock(userId: string, password?: string): Observable<MessageResponse> {
    return this.http.post<MessageResponse>(`/auth/admin/users/${encodeURIComponent(userId)}/unlock`, password === undefined ? {} : { password });
  }
}

/** /admin: administrators with two-factor authentication on (the API refuses anyone else too). */
export const adminGuard: CanActivateFn = (_route, state) => {
  const session = inject(SessionStore);
  const user = session.user();
  if (!user) {
    session.rememberReturnUrl(state.url);
    return inject(Router).createUrlTree(['/login']);
  }
  if (user.role !== 'ADMIN') return inject(Router).createUrlTree(['/dashboard']);
  if (!user.twoFactorEnabled) return inject(Router).createUrlTree(['/profile']);
  return true;
};
