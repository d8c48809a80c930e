import { EnvironmentProviders, inject, provideAppInitializer } from '@angular/core';
import { LoginFlow } from './login-flow';
import { SessionStore } from './session.store';

/** Before the first navigation: who is signed in (GET /auth/session, which also sets the XSRF cookie). */
export function provideAuthInitializer(): EnvironmentProviders {
  return provideAppInitializer(() => {
    inject(LoginFlow); // listens for a session start from now on (it forgets a pending code step)
    return inject(SessionStore).init();
  });
}
