import { provideHttpClient, withInterceptors, withXsrfConfiguration } from '@angular/common/http';
import { ApplicationConfig, provideBrowserGlobalErrorListeners } from '@angular/core';
import { provideRouter, withInMemoryScrolling } from '@angular/router';
import { routes } from './app.routes';
import { provideAuthInitializer } from './core/auth/auth.initializer';
import { credentialsInterceptor } from './core/auth/credentials.interceptor';
import { XSRF_COOKIE_NAME, XSRF_HEADER_NAME } from './core/auth/http-context';
import { csrfRetryInterceptor, sessionInterceptor } from './core/auth/session.interceptor';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withInMemoryScrolling({ scrollPositionRestoration: 'top', anchorScrolling: 'enabled' })),
    provideHttpClient(
      withInterceptors([credentialsInterceptor, sessionInterceptor, csrfRetryInterceptor]),
      withXsrfConfiguration({ cookieName: XSRF_COOKIE_NAME, headerName: XSRF_HEADER_NAME }),
    ),
    provideAuthInitializer(),
  ],
};
