import { HttpClient } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { CanActivateFn, RedirectCommand, Router } from '@angular/router';
import { Observable } from 'rxjs';
import { EnrolmentProof, FactorSetupProof, MessageResponse } from '../auth/api.types';
import { SessionStore } from '../auth/session.store';

/** In sessionStorage (this tab only): the token of the emailed re-enrolment link. */
export const ENROLMENT_TOKEN_KEY = 'twofa.enrolmentToken';

export const ENROLMENT_LINK_TEXT = 'We emailed you a link to set up two-factor authentication again. Open it on this browser.';

function readToken(): string | null {
  try {
    return sessionStorage.getItem(ENROLMENT_TOKEN_KEY);
  } catch {
    return null;
  }
}

/**
 * Re-enrolment after an admin reset (DESIGN.md §6 rule 20): the password alone does not open the
 * setup; its first request (POST /auth/2fa/setup or /auth/2fa/passkeys/registration-options) carries
 * `{enrolmentToken, password}`, the token from the one-time link `APP_URL/enrol#token=…` emailed to
 * the user. The token comes from the URL fragment (never sent to a server in a URL) and is kept in
 * this tab's sessionStorage until the new factor is on.
 */
@Injectable({ providedIn: 'root' })
export class EnrolmentLink {
  private readonly http = inject(HttpClient);
  private readonly session = inject(SessionStore);
  private readonly _token = signal<string | null>(readToken());

  readonly token = this._token.asReadonly();
  /** An admin reset this account's 2FA: only the setup is open, and it needs the emailed link. */
  readonly required = computed(() => {
    const user = this.session.user();
    return !!user && !user.twoFactorEnabled && user.twoFactorRequirement?.reason === 'admin_reset';
  });

  keep(token: string): void {
    this._token.set(token);
    try {
      sessionStorage.setItem(ENROLMENT_TOKEN_KEY, token);
    } catch {
      /* storage unavailable: the signal still holds it for this page */
    }
  }

  /** The link is used up (the factor is on), refused, or expired. */
  forget(): void {
    this._token.set(null);
    try {
      sessionStorage.removeItem(ENROLMENT_TOKEN_KEY);
    } catch {
      /* nothing kept */
    }
  }

  /** The setup's proof when the link is required and at hand; null otherwise. */
  proof(password: string): EnrolmentProof | null {
    const enrolmentToken = this._token();
    return this.required() && enrolmentToken ? { enrolmentToken, password } : null;
  }

  /**
   * The first request of a new factor's setup on an account without 2FA: `{enrolmentToken, password}`
   * after an admin reset, else `{password}` once asked for, else `{}`.
   */
  setupProof(password: string | undefined): FactorSetupProof {
    if (!password) return {};
    return this.proof(password) ?? { password };
  }

  /** POST /auth/2fa/enrolment-link: 202 `{message}`, a fresh link is emailed (429 TOO_MANY_REQUESTS when asked too often). */
  sendAgain(): Observable<MessageResponse> {
    return this.http.post<MessageResponse>('/auth/2fa/enrolment-link', {});
  }
}

/** `token` of a fragment like `token=abc` (the link is `/enrol#token=abc`). */
export function tokenFromFragment(fragment: string | null): string | null {
  if (!fragment) return null;
  const token = new URLSearchParams(fragment).get('token');
  return token && token.trim() ? token.trim() : null;
}

/**
 * /enrol: keeps the link's token, takes it out of the address bar, and sends the user to the
 * setup on the profile — by way of /login (coming back to /enrol) when nobody is signed in.
 */
export const enrolGuard: CanActivateFn = (route) => {
  const enrolment = inject(EnrolmentLink);
  const session = inject(SessionStore);
  const router = inject(Router);
  const token = tokenFromFragment(route.fragment);
  if (token) enrolment.keep(token);
  if (!session.isLoggedIn()) {
    session.rememberReturnUrl('/enrol');
    return new RedirectCommand(router.createUrlTree(['/login']), { replaceUrl: true });
  }
  return new RedirectCommand(router.createUrlTree(['/profile']), { replaceUrl: true });
};
