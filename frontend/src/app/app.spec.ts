import { ApplicationInitStatus } from '@angular/core';
import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { aUser, provideTestApp, tick } from '../testing/test-utils';
import { App } from './app';
import { routes } from './app.routes';
import { provideAuthInitializer } from './core/auth/auth.initializer';
import { SessionStore } from './core/auth/session.store';

describe('App shell and initializer', () => {
  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: [...provideTestApp(routes), provideAuthInitializer()] });
  });

  it('runs GET /auth/session before the app starts', async () => {
    const http = TestBed.inject(HttpTestingController);
    const init = TestBed.inject(ApplicationInitStatus).donePromise;
    http.expectOne('/auth/session').flush({ user: aUser() });
    await init;
    expect(TestBed.inject(SessionStore).user()?.email).toBe('ada@example.com');
    http.verify();
  });

  it('shows the navigation and a working "Log out" only when logged in', async () => {
    const http = TestBed.inject(HttpTestingController);
    const init = TestBed.inject(ApplicationInitStatus).donePromise;
    http.expectOne('/auth/session').flush({ user: aUser() });
    await init;

    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const logout = Array.from(el.querySelectorAll('button')).find((b) => b.textContent?.trim() === 'Log out');
    expect(logout).toBeTruthy();
    logout!.click();
    http.expectOne('/auth/logout').flush({ message: 'Logged out' });
    await tick();
    await fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(el.querySelector('nav')).toBeNull();
    expect(TestBed.inject(SessionStore).isLoggedIn()).toBe(false);
    await tick();
    await fixture.whenStable();
    expect(el.textContent).toContain('You have been logged out.');
  });

  it('lazy routes: a visitor opening / lands on the login page', async () => {
    const http = TestBed.inject(HttpTestingController);
    const init = TestBed.inject(ApplicationInitStatus).donePromise;
    http.expectOne('/auth/session').flush({ user: null });
    await init;
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(harness.routeNativeElement?.querySelector('h1')?.textContent).toContain('Log in');
    http.verify();
  });
});
