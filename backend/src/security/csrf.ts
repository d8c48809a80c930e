// Angular's XSRF convention as a signed double-submit (csrf-csrf): the server sets a readable
// XSRF-TOKEN cookie (an HMAC-signed random value), the SPA echoes it in X-XSRF-TOKEN.
// Only requests that carry one of our auth cookies need it: without them a forged request has
// no authority to abuse (login/register bodies come from the attacker anyway).
import type { RequestHandler } from "express";
import { doubleCsrf } from "csrf-csrf";
import type { Config } from "../config";
import { AUTH_COOKIE_NAMES } from "../auth/cookies";
import { AppError } from "../http/errors";

export const CSRF_COOKIE = "XSRF-TOKEN";
export const CSRF_HEADER = "x-xsrf-token";

export function createCsrf(config: Config) {
  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => config.csrfSecret,
    // No server-side session exists before login; the token is bound to the server secret only.
    getSessionIdentifier: () => "",
    cookieName: CSRF_COOKIE,
    cookieOptions: { httpOnly: false, sameSite: config.cookies.sameSite, secure: config.cookies.secure, path: "/" },
    getCsrfTokenFromRequest: (req) => req.get(CSRF_HEADER),
  });

  const carriesAuthCookie = (cookies: Record<string, string> | undefined) =>
    !!cookies && AUTH_COOKIE_NAMES.some((name) => cookies[name] !== undefined);

  /** Any GET without the cookie gets one (so the SPA's first page load is enough). */
  const issueToken: RequestHandler = (req, res, next) => {
    if ((req.method === "GET" || req.method === "HEAD") && !req.cookies?.[CSRF_COOKIE]) {
      generateCsrfToken(req, res);
      res.locals.csrfIssued = true;
    }
    next();
  };

  const requireToken: RequestHandler = (req, _res, next) => {
    if (["GET", "HEAD", "OPTIONS"].includes(req.method) || !carriesAuthCookie(req.cookies)) return next();
    if (!validateRequest(req)) return next(new AppError("CSRF_FAILED"));
    next();
  };

  /** Keeps a valid token, replaces a missing or invalid one. */
  const csrfEndpoint: RequestHandler = (req, res) => {
    if (!res.locals.csrfIssued) generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false });
    res.status(204).end();
  };

  return { issueToken, requireToken, csrfEndpoint };
}
