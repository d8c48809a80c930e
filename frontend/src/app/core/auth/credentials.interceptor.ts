import { HttpInterceptorFn } from '@angular/common/http';

/** Sends the httpOnly auth cookies with every API call (also when the SPA is hosted on another origin). */
export const credentialsInterceptor: HttpInterceptorFn = (req, next) =>
  next(req.withCredentials ? req : req.clone({ withCredentials: true }));
