// Angular's XSRF convention as a signed double-submit (csrf-csrf): the server sets a readable
// XSRF-TOKEN cookie (an HMAC over a random value AND the session id), the SPA echoes it in
// X-XSRF-TOKEN. Every state-changing request needs it, with or without auth cookies: login and
// logout too (a cross-site form can neither log a user out nor into the attacker's account).
// Bound to the session id, a token planted through a sibling subdomain (cookie tossing) is
// worthless once the victim logs in: login, verify-login and logout issue a new one.
import type { Request, RequestHandler, Response } from "express";
import { doubleCsrf } from "csrf-csrf";
import type { Config } from "../config";
import { COOKIE } from "../auth/cookies";
import type { TokenService } from "../auth/tokens";
import { AppError } from "../http/errors";

export const CSRF_COOKIE = "XSRF-TOKEN";
export const CSRF_HEADER = "x-xsrf-token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** set when this response starts or ends a session: the new token binds to it */
      csrfSessionId?: string;
    }
  }
}

export interface Csrf {
  issueToken: RequestHandler;
  requireToken: RequestHandler;
  csrfEndpoint: RequestHandler;
  /** A new token bound to the session this response starts ("" when it ends one). */
  rebind(req: Request, res: Response, sessionId: string): void;
}

export function createCsrf(config: Config, tokens: TokenService): Csrf {
  /** The session the request belongs to, from its (signature-checked, maybe expired) access or refresh token. */
  const sessionIdOf = (req: Request): string => {
    if (req.csrfSessionId !== undefined) return req.csrfSessionId;
    const access = req.cookies?.[COOKIE.access];
    const refresh = req.cookies?.[COOKIE.refresh];
    return (
      (typeof access === "string" ? tokens.sessionIdOf(access, "access") : null) ??
      (typeof refresh === "string" ? tokens.sessionIdOf(refresh, "refresh") : null) ??
      ""
    );
  };

  const { generateCsrfToken, validateRequest } = doubleCsrf({
    getSecret: () => config.csrfSecret,
    getSessionIdentifier: sessionIdOf,
    cookieName: CSRF_COOKIE,
    cookieOptions: { httpOnly: false, sameSite: config.cookies.sameSite, secure: config.cookies.secure, path: "/" },
    getCsrfTokenFromRequest: (req) => req.get(CSRF_HEADER),
  });

  /** Any GET without the cookie gets one (so the SPA's first page load is enough). */
  const issueToken: RequestHandler = (req, res, next) => {
    if ((req.method === "GET" || req.method === "HEAD") && !req.cookies?.[CSRF_COOKIE]) {
      generateCsrfToken(req, res);
      res.locals.csrfIssued = true;
    }
    next();
  };

  const requireToken: RequestHandler = (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (!validateRequest(req)) return next(new AppError("CSRF_FAILED"));
    next();
  };

  /** Keeps a valid token (for this session), replaces a missing or invalid one. */
  const csrfEndpoint: RequestHandler = (req, res) => {
    if (!res.locals.csrfIssued) generateCsrfToken(req, res, { overwrite: false, validateOnReuse: false });
    res.status(204).end();
  };

  const rebind = (req: Request, res: Response, sessionId: string) => {
    req.csrfSessionId = sessionId;
    generateCsrfToken(req, res, { overwrite: true });
  };

  return { issueToken, requireToken, csrfEndpoint, rebind };
}
