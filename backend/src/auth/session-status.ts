// GET /auth/session: "who is signed in in this browser?" for the SPA's start-up.
//
// GET /auth/me answers 401 when nobody is signed in, and the SPA then tried POST /auth/refresh
// (401 again): two red failed requests in the console on every logged-out page load. This
// answers 200 either way — {user} or {user: null} — and does the refresh itself when the access
// token is gone but the refresh token is there (a returning user): the same rotation, 10-s
// grace and reuse detection as POST /auth/refresh (sessions.service refreshSession), and the
// same cookies. A browser whose session cookies are all dead gets them cleared.
import type { Request, RequestHandler, Response } from "express";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { requestMeta } from "../security/audit";
import { endSessionResponse, issueSessionTokens } from "../sessions/session-cookies";
import { refreshSession } from "../sessions/sessions.service";
import { COOKIE } from "./cookies";
import { publicUser } from "./session";

/**
 * `whoAmI` is the /auth/me authentication (it sets req.auth or throws UNAUTHENTICATED) and
 * `describe` the /auth/me body, so a signed-in answer is exactly what /auth/me would say.
 */
export function sessionStatus(ctx: Context, whoAmI: RequestHandler, describe: (req: Request) => object): RequestHandler {
  return async (req: Request, res: Response) => {
    try {
      await whoAmI(req, res, () => undefined);
      return void res.json({ user: describe(req) });
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== "UNAUTHENTICATED") throw err;
    }
    const refreshCookie = req.cookies?.[COOKIE.refresh];
    if (refreshCookie !== undefined) {
      const outcome = await refreshSession(ctx, refreshCookie, requestMeta(req));
      if (outcome.kind === "rotated") {
        issueSessionTokens(ctx, res, outcome.user, outcome.session);
        return void res.json({ user: publicUser(outcome.user) });
      }
    }
    if (refreshCookie !== undefined || req.cookies?.[COOKIE.access] !== undefined) endSessionResponse(ctx, req, res);
    res.json({ user: null });
  };
}
