import { HttpClient } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { Observable, catchError, finalize, firstValueFrom, map, of, shareReplay, tap, throwError } from 'rxjs';
import {
  Credentials,
  LoginResponse,
  MessageResponse,
  SessionResponse,
  User,
  UserResponse,
  VerifyLoginRequest,
  VerifyLoginResponse,
} from './api.types';
import { skipSessionRefresh } from './http-context';

export const AUTH_MESSAGES = {
  sessionExpired: 'Your session expired. Please log in again.',
  loginAttemptExpired: 'Your login attempt expired. Please log in again.',
  loggedOut: 'You have been logged out.',
  loggedOutEverywhere: 'You have been logged out on every device.',
} as const;

/** The password step succeeded and the server holds a 5-minute login challenge (twofa_token cookie). */
const PENDING_KEY = 'twofa.pendingUntil';
const PENDING_LIFETIME_MS = 5 * 60 * 1000;

function readPending(): boolean {
  try {
    const until = Number(sessionStorage.getItem(PENDING_KEY));
    return Number.isFinite(until) && until > Date.now();
  } catch {
    return false;
  }
}

function writePending(pending: boolean): void {
  try {
    if (pending) sessionStorage.setItem(PENDING_KEY, String(Date.now() + PENDING_LIFETIME_MS));
    else sessionStorage.removeItem(PENDING_KEY);
  } catch {
    /* storage unavailable: the in-memory signal still works */
  }
}

/** Only same-app paths are accepted as a post-login destination (no open redirect). */
function safeReturnUrl(url: string | null | undefined): string | null {
  if (!url || !url.startsWith('/') || url.startsWith('//') || url.startsWith('/\\')) return null;
  if (/^\/(login|register|two-factor)(\/|\?|#|$)/.test(url)) return null;
  return url;
}

/**
 * Session state (signals) and the calls that start or end a session (register, login, code step,
 * refresh, logout). Other concepts have their own small services: core/two-factor,
 * core/sessions, core/trusted-devices, core/security-events.
 * The cookies are httpOnly: the SPA only knows what /auth/session, /auth/me and the login answers tell it.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);

  private readonly _user = signal<User | null>(null);
  private readonly _twoFactorPending = signal(readPending());
  private readonly _notice = signal<string | null>(null);
  private returnUrl: string | null = null;

  /** The logged-in user, or null. */
  readonly user = this._user.asReadonly();
  readonly isLoggedIn = computed(() => this._user() !== null);
  /** True between a login that answered `requires2FA` and the code step. */
  readonly twoFactorPending = this._twoFactorPending.asReadonly();
  /** A one-time message for the login page ("Your session expired…"). */
  readonly notice = this._notice.asReadonly();

  // ---- refresh coordination (used by the session interceptor) ----
  private generation = 0;
  private failedGeneration = -1;
  private refreshInFlight: Observable<void> | null = null;

  /** Bumped whenever a new session starts or a refresh succeeds. */
  get sessionGeneration(): number {
    return this.generation;
  }

  /**
   * Runs at start-up: GET /auth/session says who is signed in — 200 `{user}` or `{user: null}`,
   * so a logged-out page load shows no failed request — and refreshes a returning user whose
   * access token expired on the server side. Like any GET it also sets the XSRF cookie when it is
   * missing. Never redirects and never rejects: the app must start even if the API is down.
   */
  async init(): Promise<void> {
    try {
      const { user } = await firstValueFrom(this.http.get<SessionResponse>('/auth/session', skipSessionRefresh()));
      this._user.set(user ?? null);
    } catch {
      this._user.set(null);
    }
  }

  // ---------------------------------------------------------------- session

  me(): Observable<User> {
    return this.http.get<User>('/auth/me').pipe(tap((user) => this._user.set(user)));
  }

  register(credentials: Credentials): Observable<UserResponse> {
    return this.http.post<UserResponse>('/auth/register', credentials).pipe(tap((r) => this.startSession(r.user)));
  }

  login(credentials: Credentials): Observable<LoginResponse> {
    return this.http.post<LoginResponse>('/auth/login', credentials).pipe(
      tap((r) => {
        if (r.requires2FA) {
          this._user.set(null);
          this.setTwoFactorPending(true);
        } else {
          this.startSession(r.user);
        }
      }),
    );
  }

  verifyLogin(body: VerifyLoginRequest): Observable<VerifyLoginResponse> {
    return this.http
      .post<VerifyLoginResponse>('/auth/2fa/verify-login', body)
      .pipe(tap((r) => this.startSession(r.user)));
  }

  /** POST /auth/refresh, raw: a 401 reaches the caller (never through the refresh interceptor). */
  refresh(): Observable<Partial<UserResponse> | null> {
    return this.http.post<Partial<UserResponse> | null>('/auth/refresh', {}, skipSessionRefresh());
  }

  /** Logs out locally whatever the server answers; never errors. */
  logout(): Observable<void> {
    return this.http.post<MessageResponse>('/auth/logout', {}).pipe(
      map(() => undefined),
      catchError(() => of(undefined)),
      tap(() => this.clearSession()),
    );
  }

  logoutAll(): Observable<void> {
    return this.http.post<MessageResponse>('/auth/logout-all', {}).pipe(
      map(() => undefined),
      tap(() => this.clearSession()),
    );
  }

  /** Leaves the code step: forgets the pending challenge (the server's cookie expires by itself). */
  abandonTwoFactor(): void {
    this.setTwoFactorPending(false);
  }

  // ------------------------------------------------------- messages, routing

  /** Shows a message on the next visit of the login page. */
  setNotice(message: string): void {
    this._notice.set(message);
  }

  /** Returns the pending login-page message once. */
  takeNotice(): string | null {
    const notice = this._notice();
    this._notice.set(null);
    return notice;
  }

  rememberReturnUrl(url: string): void {
    this.returnUrl = safeReturnUrl(url);
  }

  /** Where to go after a successful login: the page the guard stopped, else the dashboard. */
  takeReturnUrl(): string {
    const url = this.returnUrl ?? '/dashboard';
    this.returnUrl = null;
    return url;
  }

  /** Ends the local session and sends the user to /login with a message. */
  expireSession(message: string = AUTH_MESSAGES.sessionExpired): void {
    this.clearSession();
    this._notice.set(message);
    void this.router.navigateByUrl('/login');
  }

  /** Used by the session interceptor: one refresh shared by every concurrent 401. */
  refreshSession(seenGeneration: number): Observable<void> {
    if (seenGeneration !== this.generation) {
      // A refresh (or a new login) happened after the failed request was sent: just retry it.
      return of(undefined);
    }
    if (this.failedGeneration === this.generation) {
      return throwError(() => new Error('The session could not be refreshed.'));
    }
    if (!this.refreshInFlight) {
      this.refreshInFlight = this.refresh().pipe(
        tap((r) => {
          if (r?.user) this._user.set(r.user);
          this.generation++;
        }),
        map(() => undefined),
        catchError((err: unknown) => {
          this.failedGeneration = this.generation;
          this.expireSession();
          return throwError(() => err);
        }),
        finalize(() => {
          this.refreshInFlight = null;
        }),
        shareReplay({ bufferSize: 1, refCount: false }),
      );
    }
    return this.refreshInFlight;
  }

  /** Applies what another API call changed about the logged-in user (e.g. twoFactorEnabled). */
  updateUser(patch: Partial<Omit<User, 'id'>>): void {
    const user = this._user();
    if (user) this._user.set({ ...user, ...patch });
  }

  // ---------------------------------------------------------------- private

  private startSession(user: User): void {
    this._user.set(user);
    this.setTwoFactorPending(false);
    this._notice.set(null);
    this.generation++;
  }

  private clearSession(): void {
    this._user.set(null);
    this.setTwoFactorPending(false);
  }

  private setTwoFactorPending(pending: boolean): void {
    writePending(pending);
    this._twoFactorPending.set(pending);
  }
}
