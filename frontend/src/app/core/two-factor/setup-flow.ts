/**
 * Two-factor setup across pages and reloads. The secret is never kept in the browser: while the
 * pending secret is valid, POST /auth/2fa/setup answers the SAME one again, so the profile only has
 * to know that setup was under way to show the QR code the phone already scanned.
 */

/** `/profile?setup=start` (the dashboard's "Enable two-factor authentication") starts setup on arrival. */
export const START_SETUP_PARAM = 'setup';

/** In sessionStorage (this tab), the user's id while their setup is under way: a reload continues it. */
export const SETUP_IN_PROGRESS_KEY = 'twofa.setupInProgress';
