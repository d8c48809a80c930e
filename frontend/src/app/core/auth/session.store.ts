import { HttpClient } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { Observable, firstValueFrom, tap } from 'rxjs';
import { SessionResponse, User } from './api.types';
import { skipSessionRefresh } from './http-context';

export const AUTH_MESSAGES = {
  sessionExpired: 'Your session expired. Please log in again.',
  loginAttemptExpired: 'Your login attempt expired. Please log in again.',
  loggedOut: 'You have been logged out.',
  loggedOutEverywhere: 'You have been logged out on every device.',
} as const;

/** Only same-app paths are accepted as a post-login destination (no open redirect). */
function safeReturnUrl(url: string | null | undefined): string | null {
  if (!url || !url.startsWith('/') || url.startsWith('//') || url.startsWith('/\\')) return null;
  if (/^\/(login|register|two-factor)(\/|\?|#|$)/.test(url)) return null;
  return url;
}

/**
 * Who is signed in in this browser (a signal), the one-time notice for the login page and where
 * to go after the login. The cookies are httpOnly: the SPA only knows what /auth/session,
 * /auth/me and the login answers tell it. The calls that start or end a session live in the
 * login flow (LoginFlow), AccountApi (register) and SessionsApi (logout).
 */
@Injectable({ providedIn: 'root' })
export class SessionStore {
  private readonly http = inject(HttpClient);
  private readonly router = inject(Router);

  private readonly _user = signal<User | null>(null);
  private readonly _notice = signal<string | null>(null);
  private returnUrl: string | null = null;
  private generation = 0;
  private readonly changeListeners: (() => void)[] = [];

  /** The logged-in user, or null. */
  readonly user = this._user.asReadonly();
  readonly isLoggedIn = computed(() => this._user() !== null);
  /** A one-time message for the login page ("Your session expired…"). */
  readonly notice = this._notice.asReadonly();

  /** Bumped whenever a session starts or a refresh succeeds (the refresh interceptor compares it). */
  get sessionGeneration(): number {
    return this.generation;
  }

  /**
   * Runs at start-up: GET /auth/session says who is signed in — 200 `{user}` or `{user: null}`,
   * so a logged-out page load shows no failed request. Like any GET it also sets the XSRF cookie
   * when it is missing. Never redirects and never rejects: the app must start even if the API is down.
   */
  async init(): Promise<void> {
    try {
      const { user } = await firstValueFrom(this.http.get<SessionResponse>('/auth/session', skipSessionRefresh()));
      this._user.set(user ?? null);
    } catch {
      this._user.set(null);
    }
  }

  me(): Observable<User> {
    return this.http.get<User>('/auth/me').pipe(tap((user) => this._user.set(user)));
  }

  /** A login, a code step or a registration answered `{user}`: the session starts. */
  start(user: User): void {
    this._user.set(user);
    this._notice.set(null);
    this.generation++;
    this.changed();
  }

  /** Called when a session starts or ends (the login flow then forgets a pending code step). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** A refresh succeeded: new tokens, maybe a fresher user. */
  refreshed(user?: User): void {
    if (user) this._user.set(user);
    this.generation++;
  }

  /** Ends the local session (the server's cookies are the caller's business). */
  clear(): void {
    this._user.set(null);
    this.changed();
  }

  /** Ends the local session and sends the user to /login with a message. */
  expire(message: string = AUTH_MESSAGES.sessionExpired): void {
    this.clear();
    this._notice.set(message);
    void this.router.navigateByUrl('/login');
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  /** Applies what another API call changed about the logged-in user (e.g. twoFactorEnabled). */
  updateUser(patch: Partial<Omit<User, 'id'>>): void {
    const user = this._user();
    if (user) this._user.set({ ...user, ...patch });
  }

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
}
