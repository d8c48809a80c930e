import { EnvironmentProviders, inject, provideAppInitializer } from '@angular/core';
import { AuthService } from './auth.service';

/** Before the first navigation: who is signed in (GET /auth/session, which also sets the XSRF cookie). */
export function provideAuthInitializer(): EnvironmentProviders {
  return provideAppInitializer(() => inject(AuthService).init());
}
