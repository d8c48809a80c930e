import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { AuthService } from './auth.service';

/** Pages for logged-in users: otherwise /login (and come back here after logging in). */
export const authGuard: CanActivateFn = (_route, state) => {
  const auth = inject(AuthService);
  if (auth.isLoggedIn()) return true;
  auth.rememberReturnUrl(state.url);
  return inject(Router).createUrlTree(['/login']);
};

/** /login and /register: a logged-in user goes to the dashboard. */
export const guestGuard: CanActivateFn = () =>
  inject(AuthService).isLoggedIn() ? inject(Router).createUrlTree(['/dashboard']) : true;

/** /two-factor: only right after a login that answered `requires2FA`. */
export const twoFactorPendingGuard: CanActivateFn = () => {
  const auth = inject(AuthService);
  if (auth.twoFactorPending() && !auth.isLoggedIn()) return true;
  return inject(Router).createUrlTree([auth.isLoggedIn() ? '/dashboard' : '/login']);
};
