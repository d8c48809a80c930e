import { Injectable, inject } from '@angular/core';
import { EMPTY, Observable, catchError, defer, filter, from, repeat, switchMap, take, takeUntil, timer } from 'rxjs';
import { readApiError, rateLimitText } from '../auth/api-error';
import { PasskeyAssertion } from '../auth/api.types';
import { LoginFlow } from '../auth/login-flow';
import { WebAuthnClient, browserRefusal, browserRefusalText } from './webauthn-client';

/** The server keeps a passkey challenge 5 minutes: a waiting autofill asks for a fresh one before that. */
export const AUTOFILL_RENEW_MS = 4 * 60 * 1000;

/** The browser says the same (NotAllowedError) for a cancelled prompt and a key that could not verify the user. */
export const PASSKEY_SIGN_IN_CANCELLED = 'Passkey sign-in did not finish: it was cancelled, or your passkey or security key did not confirm it’s you.';
export const PASSKEY_SIGN_IN_UNVERIFIED = "Your passkey or security key did not confirm it's you. Try again, or sign in with your password.";
export const PASSKEY_SIGN_IN_UNKNOWN = 'That passkey was not recognised. Sign in with your password, or try another passkey.';

/** The words for a failed passkey sign-in: the browser's refusal, PASSKEY_FAILED {reason?}, a 429's wait. */
export function passkeySignInErrorMessage(err: unknown): string {
  if (browserRefusal(err)) return browserRefusalText(err, PASSKEY_SIGN_IN_CANCELLED);
  const e = readApiError(err);
  if (e.code === 'PASSKEY_FAILED') return e.reason === 'user_verification' ? PASSKEY_SIGN_IN_UNVERIFIED : PASSKEY_SIGN_IN_UNKNOWN;
  return e.status === 429 ? rateLimitText(e, 'login attempts') : e.message;
}

/**
 * The browser's half of a sign-in with a passkey alone (issue 20): a fresh challenge from
 * POST /auth/passkey/options, then the passkey the user picks. LoginFlow.loginWithPasskey sends it.
 */
@Injectable({ providedIn: 'root' })
export class PasskeySignIn {
  private readonly flow = inject(LoginFlow);
  private readonly webauthn = inject(WebAuthnClient);

  supported(): boolean {
    return this.webauthn.supported();
  }

  /** "Sign in with a passkey": the browser's prompt. Errors: the API's, or the browser's refusal. */
  prompt(): Observable<PasskeyAssertion> {
    return this.flow.passkeyLoginOptions().pipe(switchMap((options) => from(this.webauthn.get(options))));
  }

  /**
   * Passkey autofill in the `webauthn` email field: emits the passkey the user picks among its
   * suggestions. Completes empty where the browser cannot, and never errors (nothing changes on the
   * page). Unsubscribing aborts the browser's pending request; so does the renewal of the challenge
   * every AUTOFILL_RENEW_MS, which then starts a new request.
   */
  autofill(): Observable<PasskeyAssertion> {
    return from(this.webauthn.autofillAvailable()).pipe(
      filter(Boolean),
      switchMap(() => defer(() => this.autofillRound()).pipe(repeat(), take(1))),
      catchError(() => EMPTY),
    );
  }

  /** One challenge: fresh options, then the conditional request until a passkey is picked or the challenge is about to expire. */
  private autofillRound(): Observable<PasskeyAssertion> {
    return this.flow.passkeyLoginOptions().pipe(
      switchMap(
        (options) =>
          new Observable<PasskeyAssertion>((subscriber) => {
            const abort = new AbortController();
            this.webauthn.autofill(options, abort.signal).then(
              (assertion) => {
                subscriber.next(assertion);
                subscriber.complete();
              },
              (err: unknown) => subscriber.error(err),
            );
            return () => abort.abort();
          }),
      ),
      takeUntil(timer(AUTOFILL_RENEW_MS)),
    );
  }
}
