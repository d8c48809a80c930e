import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, catchError, finalize, map, of, shareReplay, tap, throwError } from 'rxjs';
import { UserResponse } from './api.types';
import { skipSessionRefresh } from './http-context';
import { SessionStore } from './session.store';

/**
 * One POST /auth/refresh shared by every concurrent 401 (the session interceptor's helper).
 * A refresh that fails ends the session once: later 401s of the same generation do not retry.
 */
@Injectable({ providedIn: 'root' })
export class SessionRefresh {
  private readonly http = inject(HttpClient);
  private readonly store = inject(SessionStore);
  private failedGeneration = -1;
  private inFlight: Observable<void> | null = null;

  /** POST /auth/refresh, raw: a 401 reaches the caller (never through the refresh interceptor). */
  refresh(): Observable<Partial<UserResponse> | null> {
    return this.http.post<Partial<UserResponse> | null>('/auth/refresh', {}, skipSessionRefresh());
  }

  refreshSession(seenGeneration: number): Observable<void> {
    const generation = this.store.sessionGeneration;
    // A refresh (or a new login) happened after the failed request was sent: just retry it.
    if (seenGeneration !== generation) return of(undefined);
    if (this.failedGeneration === generation) {
      return throwError(() => new Error('The session could not be refreshed.'));
    }
    this.inFlight ??= this.refresh().pipe(
      tap((r) => this.store.refreshed(r?.user)),
      map(() => undefined),
      catchError((err: unknown) => {
        this.failedGeneration = generation;
        this.store.expire();
        return throwError(() => err);
      }),
      finalize(() => (this.inFlight = null)),
      shareReplay({ bufferSize: 1, refCount: false }),
    );
    return this.inFlight;
  }
}
