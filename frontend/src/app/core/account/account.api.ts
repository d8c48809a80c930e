import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, tap } from 'rxjs';
import { Credentials, UserResponse } from '../auth/api.types';
import { SessionStore } from '../auth/session.store';

/** Creating an account (POST /auth/register): 201 `{user}` starts the session. Passwords: PasswordApi. */
@Injectable({ providedIn: 'root' })
export class AccountApi {
  private readonly http = inject(HttpClient);
  private readonly session = inject(SessionStore);

  register(credentials: Credentials): Observable<UserResponse> {
    return this.http.post<UserResponse>('/auth/register', credentials).pipe(tap((r) => this.session.start(r.user)));
  }
}
