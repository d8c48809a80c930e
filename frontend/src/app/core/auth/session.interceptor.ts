import {
  HttpClient,
  HttpErrorResponse,
  HttpInterceptorFn,
  HttpRequest,
  HttpXsrfTokenExtractor,
} from '@angular/common/http';
import { inject } from '@angular/core';
import { isSessionErrorCode } from '@twofa/contract';
import { catchError, switchMap, throwError } from 'rxjs';
import { SessionRefresh } from './session-refresh';
import { SessionStore } from './session.store';
import { SKIP_SESSION_REFRESH, XSRF_HEADER_NAME, skipSessionRefresh } from './http-context';

/** Calls whose 401 is an answer for the form, not an expired session. */
export const SESSION_REFRESH_EXEMPT_PATHS: readonly string[] = [
  '/auth/login',
  '/auth/register',
  '/auth/refresh',
  '/auth/2fa/verify-login',
  '/auth/2fa/passkey-options',
  '/auth/passkey/options',
  '/auth/passkey/login',
  '/auth/csrf',
  '/auth/logout',
];


function pathOf(url: string): string {
  try {
    return new URL(url, 'http://spa.invalid').pathname;
  } catch {
    return url;
  }
}

function isExempt(req: HttpRequest<unknown>): boolean {
  return req.context.get(SKIP_SESSION_REFRESH) || SESSION_REFRESH_EXEMPT_PATHS.includes(pathOf(req.url));
}

function errorCode(err: HttpErrorResponse): string | undefined {
  const body: unknown = err.error;
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string'
    ? (body as { code: string }).code
    : undefined;
}

/** A 401 that means "your access token is missing, expired or revoked". */
export function isSessionError(err: unknown): err is HttpErrorResponse {
  if (!(err instanceof HttpErrorResponse) || err.status !== 401) return false;
  const code = errorCode(err);
  // the catalogue (@twofa/contract) marks the 401s that mean "session gone" (UNAUTHENTICATED,
  // SESSION_REVOKED); the others ask the user for something (a password, a right code): no refresh
  return isSessionErrorCode(code);
}

function isCsrfError(err: unknown): err is HttpErrorResponse {
  return err instanceof HttpErrorResponse && err.status === 403 && errorCode(err) === 'CSRF_FAILED';
}

function isMutating(req: HttpRequest<unknown>): boolean {
  return req.method !== 'GET' && req.method !== 'HEAD';
}

function isRelative(url: string): boolean {
  return !/^[a-z][a-z\d+\-.]*:/i.test(url) && !url.startsWith('//');
}

/**
 * A retried request skips Angular's XSRF interceptor (it sits before ours), so the token is
 * read again here: the refresh or the /auth/csrf call may have rotated the cookie.
 */
function withCurrentXsrfToken(req: HttpRequest<unknown>, token: string | null): HttpRequest<unknown> {
  if (token === null || !isMutating(req) || !(isRelative(req.url) || req.headers.has(XSRF_HEADER_NAME))) {
    return req;
  }
  return req.clone({ setHeaders: { [XSRF_HEADER_NAME]: token } });
}

/**
 * 401 → one POST /auth/refresh (shared by all concurrent 401s) → the original request is
 * retried once. If the refresh fails, or the retry is still refused, the session is over:
 * /login with "Your session expired. Please log in again.". Never loops.
 */
export const sessionInterceptor: HttpInterceptorFn = (req, next) => {
  if (isExempt(req)) return next(req);
  const session = inject(SessionStore);
  const refresher = inject(SessionRefresh);
  const xsrf = inject(HttpXsrfTokenExtractor);
  const generationAtSend = session.sessionGeneration;

  return next(req).pipe(
    catchError((err: unknown) => {
      if (!isSessionError(err)) return throwError(() => err);
      return refresher.refreshSession(generationAtSend).pipe(
        // The refresh failed (the user is already on the way to /login): the caller sees the 401.
        catchError(() => throwError(() => err)),
        switchMap(() =>
          next(withCurrentXsrfToken(req, xsrf.getToken())).pipe(
            catchError((retryErr: unknown) => {
              if (isSessionError(retryErr)) session.expire();
              return throwError(() => retryErr);
            }),
          ),
        ),
      );
    }),
  );
};

/**
 * 403 CSRF_FAILED on a state-changing call (XSRF cookie missing or stale, e.g. after a server
 * restart): fetch a fresh cookie from GET /auth/csrf and retry the request once.
 */
export const csrfRetryInterceptor: HttpInterceptorFn = (req, next) => {
  if (!isMutating(req) || pathOf(req.url) === '/auth/csrf') return next(req);
  const http = inject(HttpClient);
  const xsrf = inject(HttpXsrfTokenExtractor);
  return next(req).pipe(
    catchError((err: unknown) => {
      if (!isCsrfError(err)) return throwError(() => err);
      return http.get('/auth/csrf', skipSessionRefresh()).pipe(
        catchError(() => throwError(() => err)),
        switchMap(() => next(withCurrentXsrfToken(req, xsrf.getToken()))),
      );
    }),
  );
};
