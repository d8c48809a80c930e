import { HttpClient } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { Observable, tap } from 'rxjs';
import {
  Credentials,
  LoginMethod,
  LoginResult,
  PasskeyAssertion,
  PasskeyRequestOptions,
  VerifyLoginRequest,
  VerifyLoginResponse,
  VerifyLoginWithPasskey,
} from './api.types';
import { PasskeyLoginResponse } from '../passkeys/passkey-login.types';
import { ClockDriftNotice } from './clock-drift';
import { SessionStore } from './session.store';

/** The password step succeeded and the server holds a 5-minute login challenge (twofa_token cookie). */
const PENDING_KEY = 'twofa.pendingUntil';
const METHODS_KEY = 'twofa.pendingMethods';
const PENDING_LIFETIME_MS = 5 * 60 * 1000;
/** An API that does not list the methods yet offers what it always did. */
const DEFAULT_METHODS: readonly LoginMethod[] = ['totp', 'backup_code'];
const KNOWN_METHODS: readonly string[] = ['totp', 'passkey', 'backup_code'];

interface Pending {
  methods: readonly LoginMethod[];
}

function readPending(): Pending | null {
  try {
    const until = Number(sessionStorage.getItem(PENDING_KEY));
    if (!Number.isFinite(until) || until <= Date.now()) return null;
    const stored: unknown = JSON.parse(sessionStorage.getItem(METHODS_KEY) ?? 'null');
    return { methods: parseMethods(stored) };
  } catch {
    return null;
  }
}

function writePending(pending: Pending | null): void {
  try {
    if (pending) {
      sessionStorage.setItem(PENDING_KEY, String(Date.now() + PENDING_LIFETIME_MS));
      sessionStorage.setItem(METHODS_KEY, JSON.stringify(pending.methods));
    } else {
      sessionStorage.removeItem(PENDING_KEY);
      sessionStorage.removeItem(METHODS_KEY);
    }
  } catch {
    /* storage unavailable: the in-memory signal still works */
  }
}

function parseMethods(value: unknown): readonly LoginMethod[] {
  if (!Array.isArray(value)) return DEFAULT_METHODS;
  const methods = value.filter((m): m is LoginMethod => typeof m === 'string' && KNOWN_METHODS.includes(m));
  return methods.length ? methods : DEFAULT_METHODS;
}

export type LoginStep = 'password' | 'code' | 'done';

/**
 * The login: password step → (when 2FA is on) code step with the methods the API offers → done.
 * The pending code step survives a reload of the tab (sessionStorage, 5 minutes like the challenge).
 */
@Injectable({ providedIn: 'root' })
export class LoginFlow {
  private readonly http = inject(HttpClient);
  private readonly session = inject(SessionStore);
  private readonly clockDrift = inject(ClockDriftNotice);
  private readonly pending = signal<Pending | null>(readPending());

  /** True between a login that answered `requires2FA` and the end of the code step. */
  readonly twoFactorPending = computed(() => this.pending() !== null);
  /** How this login's second step may be given: `totp`, `passkey`, `backup_code`. */
  readonly methods = computed(() => this.pending()?.methods ?? DEFAULT_METHODS);
  readonly step = computed<LoginStep>(() => (this.session.isLoggedIn() ? 'done' : this.pending() ? 'code' : 'password'));

  constructor() {
    this.session.onChange(() => this.setPending(null));
  }

  login(credentials: Credentials): Observable<LoginResult> {
    return this.http.post<LoginResult>('/auth/login', credentials).pipe(
      tap((r) => {
        if (r.requires2FA) {
          this.session.clear();
          this.setPending({ methods: parseMethods(r.methods) });
        } else {
          this.session.start(r.user);
        }
      }),
    );
  }

  /**
   * The code step: `{code}`, `{backupCode}` or `{passkey}`, with `rememberDevice`. The answer's
   * `clockDrift` (this login's refused codes showed the phone's clock is off) is told once, after.
   */
  verifyLogin(body: VerifyLoginRequest | VerifyLoginWithPasskey): Observable<VerifyLoginResponse> {
    return this.http.post<VerifyLoginResponse>('/auth/2fa/verify-login', body).pipe(
      tap((r) => {
        this.session.start(r.user);
        this.clockDrift.show(r.clockDrift?.driftSeconds);
      }),
    );
  }

  /** POST /auth/2fa/passkey-options: a WebAuthn challenge for this login (stored on the login challenge). */
  passkeyOptions(): Observable<PasskeyRequestOptions> {
    return this.http.post<PasskeyRequestOptions>('/auth/2fa/passkey-options', {});
  }

  /** POST /auth/passkey/options: a challenge for a sign-in with a passkey alone (no user named: an empty allow-list). */
  passkeyLoginOptions(): Observable<PasskeyRequestOptions> {
    return this.http.post<PasskeyRequestOptions>('/auth/passkey/options', {});
  }

  /**
   * POST /auth/passkey/login: a discoverable passkey that verified the user counts as both factors,
   * so the session starts like a finished login. 400 PASSKEY_FAILED {reason?}, 429 with the wait.
   */
  loginWithPasskey(response: PasskeyAssertion): Observable<PasskeyLoginResponse> {
    return this.http.post<PasskeyLoginResponse>('/auth/passkey/login', { response }).pipe(tap((r) => this.session.start(r.user)));
  }

  /** Leaves the code step: forgets the pending challenge (the server's cookie expires by itself). */
  abandon(): void {
    this.setPending(null);
  }

  private setPending(pending: Pending | null): void {
    writePending(pending);
    this.pending.set(pending);
  }
}
