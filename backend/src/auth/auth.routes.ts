import { Router } from "express";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { parseBody } from "../http/validate";
import { requestMeta } from "../security/audit";
import type { RateLimiters } from "../security/rate-limit";
import { loginSchema, registerSchema } from "./auth.schemas";
import { findUserForRefresh, invalidateUserSessions, loginWithPassword, registerUser } from "./auth.service";
import { COOKIE } from "./cookies";
import { authenticate, issueSession, nowSeconds, publicUser } from "./session";

export function authRoutes(ctx: Context, limits: RateLimiters): Router {
  const router = Router();
  const requireAuth = authenticate(ctx);

  router.post("/register", async (req, res) => {
    const input = parseBody(registerSchema, req);
    const user = await registerUser(ctx, input, requestMeta(req));
    issueSession(ctx, res, user, nowSeconds(ctx));
    res.status(201).json({ user: publicUser(user) });
  });

  router.post("/login", limits.loginPerIp, limits.loginFailuresPerEmail, async (req, res) => {
    const input = parseBody(loginSchema, req);
    const deviceCookie = req.cookies?.[COOKIE.device];
    const trustedDevice = typeof deviceCookie === "string" ? ctx.tokens.verifyDevice(deviceCookie) : null;
    const outcome = await loginWithPassword(ctx, input, requestMeta(req), trustedDevice);
    if (outcome.kind === "twoFactor") {
      ctx.cookies.clearSession(res);
      const ttl = ctx.config.loginChallengeTtlSeconds;
      ctx.cookies.setTwoFactor(res, ctx.tokens.signTwoFactor({ sub: outcome.userId, n: outcome.challengeId }, ttl), ttl);
      return void res.json({ requires2FA: true });
    }
    issueSession(ctx, res, outcome.user, nowSeconds(ctx));
    res.json({ user: publicUser(outcome.user) });
  });

  router.post("/refresh", async (req, res) => {
    const token = req.cookies?.[COOKIE.refresh];
    const claims = typeof token === "string" ? ctx.tokens.verifyRefresh(token) : null;
    if (!claims) throw new AppError("UNAUTHENTICATED");
    const user = await findUserForRefresh(ctx, claims.sub, claims.tv);
    // auth_time is carried over: refreshing is not a new login (matters for DESIGN §6.7).
    issueSession(ctx, res, user, claims.auth_time);
    res.json({ user: publicUser(user) });
  });

  router.post("/logout", (_req, res) => {
    ctx.cookies.clearSession(res);
    ctx.cookies.clearTwoFactor(res);
    res.json({ message: "Logged out" });
  });

  router.post("/logout-all", requireAuth, async (req, res) => {
    await invalidateUserSessions(ctx, req.auth!.user.id, requestMeta(req));
    ctx.cookies.clearSession(res);
    res.json({ message: "Logged out everywhere" });
  });

  router.get("/me", requireAuth, (req, res) => {
    res.json(publicUser(req.auth!.user));
  });

  return router;
}
