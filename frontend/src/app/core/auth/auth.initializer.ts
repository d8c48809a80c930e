import { EnvironmentProviders, inject, provideAppInitializer } from '@angular/core';
import { AuthService } from './auth.service';

/** Before the first navigation: XSRF cookie (GET /auth/csrf), then who is logged in (GET /auth/me). */
export function provideAuthInitializer(): EnvironmentProviders {
  return provideAppInitializer(() => inject(AuthService).init());
}
