// The authentication middleware: a valid access token AND a live Session row whose user still
// has the token's tokenVersion — one round trip per request (sessions.findLiveSession).
import type { RequestHandler } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import type { SessionUser } from "../auth/session";
import { AppError } from "../http/errors";
import { findLiveSession, LAST_SEEN_RESOLUTION_MS, touchSession, type SessionState } from "./sessions";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: { user: SessionUser; session: SessionState; /** seconds */ authTime: number };
    }
  }
}

// DESIGN §6.9: an ADMIN without 2FA may only reach what it takes to turn 2FA on.
const ADMIN_WITHOUT_2FA_ALLOWED = new Set(["/auth/me", "/auth/2fa/setup", "/auth/2fa/enable", "/auth/logout"]);

export function authenticate(ctx: Context): RequestHandler {
  return async (req, _res, next) => {
    const token = req.cookies?.[COOKIE.access];
    const claims = typeof token === "string" ? ctx.tokens.verifyAccess(token) : null;
    if (!claims || typeof claims.sid !== "string") throw new AppError("UNAUTHENTICATED");
    const now = ctx.clock.now();
    const found = await findLiveSession(ctx.db, claims, now);
    if (!found || found.user.tokenVersion !== claims.tv) throw new AppError("UNAUTHENTICATED");
    const { user, session } = found;
    if (user.role === "ADMIN" && !user.twoFactorEnabled && !ADMIN_WITHOUT_2FA_ALLOWED.has(req.baseUrl + req.path)) {
      throw new AppError("TWOFA_SETUP_REQUIRED");
    }
    if (now - found.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      touchSession(ctx.db, session.id, now, (err) => req.log?.warn({ err: { message: err.message } }, "could not record session activity"));
    }
    req.auth = { user, session, authTime: Math.floor(session.authTimeMs / 1000) };
    next();
  };
}
