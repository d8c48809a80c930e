import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, catchError, map, of, tap } from 'rxjs';
import { ActiveSession, MessageResponse, RevokeOthersResponse, SessionsResponse } from '../auth/api.types';
import { SessionStore } from '../auth/session.store';

/** The user's live logins (DESIGN.md §5: /auth/sessions, /auth/logout, /auth/logout-all). */
@Injectable({ providedIn: 'root' })
export class SessionsApi {
  private readonly http = inject(HttpClient);
  private readonly session = inject(SessionStore);

  /** POST /auth/logout: this session ends. Logs out locally whatever the server answers; never errors. */
  logout(): Observable<void> {
    return this.http.post<MessageResponse>('/auth/logout', {}).pipe(
      map(() => undefined),
      catchError(() => of(undefined)),
      tap(() => this.session.clear()),
    );
  }

  /** POST /auth/logout-all: every session and remembered device of the user ends, this one too. */
  logoutAll(): Observable<void> {
    return this.http.post<MessageResponse>('/auth/logout-all', {}).pipe(
      map(() => undefined),
      tap(() => this.session.clear()),
    );
  }

  /** GET /auth/sessions: live sessions only, the most recently active first. */
  list(): Observable<ActiveSession[]> {
    return this.http.get<SessionsResponse>('/auth/sessions').pipe(map((r) => r?.sessions ?? []));
  }

  /**
   * DELETE /auth/sessions/:id: that session ends at once (204). For the current session this is a
   * logout: the server clears the cookies, the caller ends the local session. 404 NOT_FOUND when it
   * had already ended.
   */
  revoke(id: string): Observable<void> {
    return this.http.delete<void>(`/auth/sessions/${encodeURIComponent(id)}`);
  }

  /** POST /auth/sessions/revoke-others: every session but this one; answers how many were ended. */
  revokeOthers(): Observable<number> {
    return this.http.post<RevokeOthersResponse>('/auth/sessions/revoke-others', {}).pipe(map((r) => r?.revoked ?? 0));
  }
}
