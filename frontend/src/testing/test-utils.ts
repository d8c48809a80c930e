import { provideHttpClient, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component, EnvironmentProviders, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Routes, provideRouter } from '@angular/router';
import { User } from '../app/core/auth/api.types';
import { SessionStore } from '../app/core/auth/session.store';
import { credentialsInterceptor } from '../app/core/auth/credentials.interceptor';
import { XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from '../app/core/auth/http-context';
import { csrfRetryInterceptor, sessionInterceptor } from '../app/core/auth/session.interceptor';

@Component({ template: '<p>blank</p>' })
export class BlankPage {}

/** Every client route, with an empty page: lets services navigate during tests. */
export const TEST_ROUTES: Routes = ['login', 'register', 'two-factor', 'profile', 'dashboard'].map((path) => ({
  path,
  component: BlankPage,
}));

/** The app's real HTTP stack (interceptors + XSRF) over Angular's testing backend. */
export function provideTestHttp(): (Provider | EnvironmentProviders)[] {
  return [
    provideHttpClient(
      withInterceptors([credentialsInterceptor, sessionInterceptor, csrfRetryInterceptor]),
      withXsrfConfiguration({ cookieName: XSRF_COOKIE_NAME, headerName: XSRF_HEADER_NAME }),
    ),
    provideHttpClientTesting(),
  ];
}

export function provideTestApp(routes: Routes = TEST_ROUTES): (Provider | EnvironmentProviders)[] {
  return [...provideTestHttp(), provideRouter(routes)];
}

export function aUser(overrides: Partial<User> = {}): User {
  return { id: 'u1', email: 'ada@example.com', role: 'USER', twoFactorEnabled: false, ...overrides };
}

/** Puts a user in the SessionStore the way the app does: through GET /auth/me. */
export function signIn(user: User = aUser()): User {
  TestBed.inject(SessionStore).me().subscribe();
  TestBed.inject(HttpTestingController).expectOne('/auth/me').flush(user);
  return user;
}

/** Lets pending promises and timers-at-zero run (router navigations, async init). */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function setXsrfCookie(value: string | null): void {
  document.cookie =
    value === null
      ? `${XSRF_COOKIE_NAME}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`
      : `${XSRF_COOKIE_NAME}=${value}; path=/`;
}

export function errorResponse(status: number, code: string, extra: Record<string, unknown> = {}) {
  return {
    body: { message: `${code} message`, code, ...extra },
    opts: { status, statusText: code },
  };
}

/** Types into an input the way a user does (value + input event). */
export function typeInto(input: HTMLInputElement | null, value: string): void {
  if (!input) throw new Error('input not found');
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new Event('blur'));
}

export function buttonByText(root: HTMLElement, text: string): HTMLButtonElement {
  const button = Array.from(root.querySelectorAll('button')).find((b) => b.textContent?.trim() === text);
  if (!button) {
    const names = Array.from(root.querySelectorAll('button')).map((b) => b.textContent?.trim());
    throw new Error(`No button "${text}" (buttons: ${names.join(' | ')})`);
  }
  return button;
}

export function inputByLabel(root: HTMLElement, label: string): HTMLInputElement | null {
  const l = Array.from(root.querySelectorAll('label')).find((x) => x.textContent?.trim() === label);
  const id = l?.getAttribute('for');
  return id ? root.querySelector<HTMLInputElement>(`#${id}`) : null;
}

export function alerts(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll('[role="alert"]')).map((a) => a.textContent?.replace(/\s+/g, ' ').trim() ?? '');
}
