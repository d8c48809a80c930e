import { Routes } from '@angular/router';
import { authGuard, guestGuard, twoFactorPendingGuard } from './core/auth/auth.guards';
import { adminGuard } from './core/admin/admin.api';
import { enrolGuard } from './core/two-factor/enrolment-link';
import { BlankRoute } from './features/enrol/blank-route';

export const routes: Routes = [
  { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
  {
    path: 'login',
    title: 'Log in · TwoFA',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/login/login.page').then((m) => m.LoginPage),
  },
  {
    path: 'register',
    title: 'Create account · TwoFA',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/register/register.page').then((m) => m.RegisterPage),
  },
  {
    path: 'forgot-password',
    title: 'Reset your password · TwoFA',
    canActivate: [guestGuard],
    loadComponent: () => import('./features/forgot-password/forgot-password.page').then((m) => m.ForgotPasswordPage),
  },
  {
    // no guard: a reset link works whether or not this browser is signed in
    path: 'reset-password',
    title: 'Choose a new password · TwoFA',
    loadComponent: () => import('./features/reset-password/reset-password.page').then((m) => m.ResetPasswordPage),
  },
  {
    path: 'two-factor',
    title: 'Authentication code · TwoFA',
    canActivate: [twoFactorPendingGuard],
    loadComponent: () => import('./features/two-factor/two-factor.page').then((m) => m.TwoFactorPage),
  },
  {
    path: 'profile',
    title: 'Profile and security · TwoFA',
    canActivate: [authGuard],
    loadComponent: () => import('./features/profile/profile.page').then((m) => m.ProfilePage),
  },
  {
    path: 'dashboard',
    title: 'Dashboard · TwoFA',
    canActivate: [authGuard],
    loadComponent: () => import('./features/dashboard/dashboard.page').then((m) => m.DashboardPage),
  },
  {
    // the emailed link after an admin reset (rule 20): /enrol#token=… — the guard keeps the token and moves on
    path: 'enrol',
    title: 'Set up two-factor authentication · TwoFA',
    canActivate: [enrolGuard],
    component: BlankRoute,
  },
  {
    path: 'admin',
    title: 'Users · TwoFA',
    canActivate: [adminGuard],
    loadComponent: () => import('./features/admin/admin.page').then((m) => m.AdminPage),
  },
  { path: '**', redirectTo: 'dashboard' },
];
