import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { LoginFlow } from './login-flow';
import { SessionStore } from './session.store';

/** Pages for logged-in users: otherwise /login (and come back here after logging in). */
export const authGuard: CanActivateFn = (_route, state) => {
  const session = inject(SessionStore);
  if (session.isLoggedIn()) return true;
  session.rememberReturnUrl(state.url);
  return inject(Router).createUrlTree(['/login']);
};

/** /login and /register: a logged-in user goes to the dashboard. */
export const guestGuard: CanActivateFn = () =>
  inject(SessionStore).isLoggedIn() ? inject(Router).createUrlTree(['/dashboard']) : true;

/** /two-factor: only right after a login that answered `requires2FA`. */
export const twoFactorPendingGuard: CanActivateFn = () => {
  const step = inject(LoginFlow).step();
  if (step === 'code') return true;
  return inject(Router).createUrlTree([step === 'done' ? '/dashboard' : '/login']);
};
