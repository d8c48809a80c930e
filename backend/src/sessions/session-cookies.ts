// What a response does to the browser when a session starts, is re-issued or ends.
import type { Request, Response } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import type { SessionUser } from "../auth/session";
import { issueDeviceCookie } from "../security/device-cookie";
import type { SessionState } from "./sessions";

/**
 * Signs the access and refresh tokens of `session` for the user's current tokenVersion. Used at
 * login and to re-issue the session that made a change bumping tokenVersion (it survives, every
 * other session dies). The refresh token never outlives the session's absolute expiry.
 */
export function issueSessionTokens(ctx: Context, res: Response, user: Pick<SessionUser, "id" | "tokenVersion">, session: SessionState) {
  const refreshTtlSeconds = Math.floor((session.expiresAt.getTime() - ctx.clock.now()) / 1000);
  const common = { sub: user.id, sid: session.id, tv: user.tokenVersion };
  ctx.cookies.setSession(res, {
    access: ctx.tokens.signAccess({ ...common, auth_time: Math.floor(session.authTimeMs / 1000) }),
    refresh: ctx.tokens.signRefresh({ ...common, gen: session.refreshGeneration }, refreshTtlSeconds),
    refreshTtlSeconds,
  });
}

/**
 * A sign-in completed (registration, password, code, backup code, passkey, remembered device):
 * the new session's cookies, a CSRF token bound to it, and a new device cookie for this browser
 * (DESIGN §6 rule 16) — every sign-in path leaves one by calling this.
 */
export async function startSessionResponse(ctx: Context, req: Request, res: Response, user: SessionUser, session: SessionState) {
  const device = await issueDeviceCookie(ctx, user.id, req.cookies?.[COOKIE.signInDevice]);
  ctx.cookies.clearTwoFactor(res);
  issueSessionTokens(ctx, res, user, session);
  ctx.csrf.rebind(req, res, session.id);
  ctx.cookies.setSignInDevice(res, device);
}

/**
 * This browser's session is over: its cookies go (the remembered-device cookie and the device
 * cookie stay), the CSRF token is re-issued unbound.
 */
export function endSessionResponse(ctx: Context, req: Request, res: Response) {
  ctx.cookies.clearSession(res);
  ctx.cookies.clearTwoFactor(res);
  ctx.csrf.rebind(req, res, "");
}
