import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, Router, RouterStateSnapshot, UrlTree } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { BlankPage, aUser, provideTestApp, signIn } from '../../../testing/test-utils';
import { authGuard, guestGuard, twoFactorPendingGuard } from './auth.guards';
import { LoginFlow } from './login-flow';
import { SessionStore } from './session.store';

const route = {} as ActivatedRouteSnapshot;
const state = (url: string) => ({ url }) as RouterStateSnapshot;

function run(guard: typeof authGuard, url = '/profile'): boolean | UrlTree {
  return TestBed.runInInjectionContext(() => guard(route, state(url))) as boolean | UrlTree;
}

function urlOf(result: boolean | UrlTree): string {
  return result instanceof UrlTree ? TestBed.inject(Router).serializeUrl(result) : String(result);
}

describe('guards', () => {
  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({ providers: provideTestApp() });
  });

  afterEach(() => TestBed.inject(HttpTestingController).verify());

  describe('authGuard', () => {
    it('sends a visitor to /login and remembers where they wanted to go', () => {
      expect(urlOf(run(authGuard, '/profile'))).toBe('/login');
      expect(TestBed.inject(SessionStore).takeReturnUrl()).toBe('/profile');
    });

    it('lets a logged-in user in', () => {
      signIn();
      expect(run(authGuard)).toBe(true);
    });
  });

  describe('guestGuard', () => {
    it('lets a visitor see /login and /register', () => {
      expect(run(guestGuard, '/login')).toBe(true);
    });

    it('sends a logged-in user to /dashboard', () => {
      signIn();
      expect(urlOf(run(guestGuard, '/login'))).toBe('/dashboard');
    });
  });

  describe('twoFactorPendingGuard', () => {
    it('sends a visitor without a pending login to /login', () => {
      expect(urlOf(run(twoFactorPendingGuard, '/two-factor'))).toBe('/login');
    });

    it('allows /two-factor right after a login that answered requires2FA', () => {
      TestBed.inject(LoginFlow).login({ email: 'a@b.c', password: 'pw' }).subscribe();
      TestBed.inject(HttpTestingController).expectOne('/auth/login').flush({ requires2FA: true });
      expect(run(twoFactorPendingGuard, '/two-factor')).toBe(true);
    });

    it('sends a logged-in user to /dashboard', () => {
      signIn(aUser());
      expect(urlOf(run(twoFactorPendingGuard, '/two-factor'))).toBe('/dashboard');
    });
  });
});

describe('guards on the real routes', () => {
  beforeEach(() => {
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: provideTestApp([
        { path: '', pathMatch: 'full', redirectTo: 'dashboard' },
        { path: 'login', canActivate: [guestGuard], component: BlankPage },
        { path: 'two-factor', canActivate: [twoFactorPendingGuard], component: BlankPage },
        { path: 'dashboard', canActivate: [authGuard], component: BlankPage },
      ]),
    });
  });

  it('/ → /dashboard → /login for a visitor', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    expect(TestBed.inject(Router).url).toBe('/login');
  });

  it('/login → /dashboard for a logged-in user', async () => {
    signIn();
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/login');
    expect(TestBed.inject(Router).url).toBe('/dashboard');
  });

  it('/two-factor without a pending login → /login', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/two-factor');
    expect(TestBed.inject(Router).url).toBe('/login');
  });
});
