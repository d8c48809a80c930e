// The authentication middleware: a valid access token AND a live Session row whose user still
// has the token's tokenVersion — one round trip per request (sessions.findLiveSession).
import type { Role } from "@prisma/client";
import type { RequestHandler } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import type { SessionUser } from "../auth/session";
import { AppError } from "../http/errors";
import { roleRequiresTwoFactor, startTwoFactorGrace, twoFactorRequirement, type TwoFactorRequirement } from "../two-factor/enforcement";
import { findLiveSession, LAST_SEEN_RESOLUTION_MS, touchSession, type SessionState } from "./sessions";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: {
        user: SessionUser;
        session: SessionState;
        /** seconds */ authTime: number;
        /** what is asked of this user about 2FA (null: nothing) — two-factor/enforcement.ts */
        twoFactorRequirement: TwoFactorRequirement | null;
      };
    }
  }
}

/** Per-route options (each router passes its own; nothing here knows URLs). */
export interface AuthenticateOptions {
  /**
   * DESIGN §6.9: reachable by a user who must set 2FA up before anything else (a required role
   * past its grace period, a user whose 2FA an administrator reset): what it takes to turn 2FA
   * on — /auth/me, /auth/2fa/setup, /auth/2fa/enable. Every other route answers 403
   * TWOFA_SETUP_REQUIRED.
   */
  allowWithoutTwoFactor?: boolean;
  /** only users with one of these roles; others get 403 FORBIDDEN */
  roles?: readonly Role[];
  /** 2FA must be on for this route (admin pages), whatever else would let the user in */
  requireTwoFactor?: boolean;
}

export function authenticate(ctx: Context, options: AuthenticateOptions = {}): RequestHandler {
  return async (req, _res, next) => {
    const token = req.cookies?.[COOKIE.access];
    const claims = typeof token === "string" ? ctx.tokens.verifyAccess(token) : null;
    if (!claims || typeof claims.sid !== "string") throw new AppError("UNAUTHENTICATED");
    const now = ctx.clock.now();
    const found = await findLiveSession(ctx.hotSql, claims, now);
    if (!found || found.user.tokenVersion !== claims.tv) throw new AppError("UNAUTHENTICATED");
    const { user, session } = found;
    // First request under TWOFA_REQUIRED_ROLES: the grace period starts now (once per user; rare path).
    if (found.twoFactor.requiredSince === null && roleRequiresTwoFactor(ctx.config, user.role)) {
      found.twoFactor.requiredSince = await startTwoFactorGrace(ctx.db, user.id, now);
    }
    const requirement = twoFactorRequirement(ctx.config, user, found.twoFactor, now);
    if (requirement?.blocked && !options.allowWithoutTwoFactor) throw new AppError("TWOFA_SETUP_REQUIRED");
    if (options.roles && !options.roles.includes(user.role)) throw new AppError("FORBIDDEN");
    if (options.requireTwoFactor && !user.twoFactorEnabled) throw new AppError("TWOFA_SETUP_REQUIRED");
    if (now - found.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      touchSession(ctx.db, session.id, now, (err) => req.log?.warn({ err: { message: err.message } }, "could not record session activity"));
    }
    req.auth = { user, session, authTime: Math.floor(session.authTimeMs / 1000), twoFactorRequirement: requirement };
    next();
  };
}
