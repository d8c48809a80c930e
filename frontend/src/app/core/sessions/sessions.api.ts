import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';
import { ActiveSession, RevokeOthersResponse, SessionsResponse } from '../auth/api.types';

/** The user's live logins (DESIGN.md §5: /auth/sessions). */
@Injectable({ providedIn: 'root' })
export class SessionsApi {
  private readonly http = inject(HttpClient);

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
