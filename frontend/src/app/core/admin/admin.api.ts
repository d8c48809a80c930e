import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { Observable } from 'rxjs';
import { MessageResponse, PasswordAndProof } from '../auth/api.types';
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
   * The admin's own password AND second factor, in every request (DESIGN.md §6 rule 7): a recent
   * sign-in is not enough. The session interceptor leaves a 401 REAUTH_REQUIRED / INVALID_PASSWORD to the caller.
   */
  resetTwoFactor(userId: string, reason: string, proof: PasswordAndProof): Observable<MessageResponse> {
    return this.http.post<MessageResponse>(`/auth/admin/users/${encodeURIComponent(userId)}/reset-2fa`, { reason, ...proof });
  }

  unlock(userId: string, proof: PasswordAndProof): Observable<MessageResponse> {
    return this.http.post<MessageResponse>(`/auth/admin/users/${encodeURIComponent(userId)}/unlock`, proof);
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
