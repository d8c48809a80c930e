import { HttpContext, HttpContextToken } from '@angular/common/http';

/** Angular's XSRF convention, which the API follows (DESIGN.md §4). */
export const XSRF_COOKIE_NAME = 'XSRF-TOKEN';
export const XSRF_HEADER_NAME = 'X-XSRF-TOKEN';

/**
 * Set on requests whose 401 must reach the caller untouched (no refresh, no redirect):
 * the session probe at start-up and the refresh call itself.
 */
export const SKIP_SESSION_REFRESH = new HttpContextToken<boolean>(() => false);

export function skipSessionRefresh(): { context: HttpContext } {
  return { context: new HttpContext().set(SKIP_SESSION_REFRESH, true) };
}
