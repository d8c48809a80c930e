import { Router, type Request } from "express";
import type { Context } from "../context";
import { parseBody } from "../http/validate";
import { requestMeta } from "../security/audit";
import type { RateLimiters } from "../security/rate-limit";
import { authenticate } from "../sessions/authenticate";
import { startSessionResponse } from "../sessions/session-cookies";
import { loginSchema, registerSchema } from "./auth.schemas";
import { loginWithPassword, registerUser } from "./auth.service";
import { COOKIE } from "./cookies";
import { publicUser } from "./session";
import { sessionStatus } from "./session-status";

export function authRoutes(ctx: Context, limits: RateLimiters): Router {
  const router = Router();
  // reachable before a required 2FA is set up (DESIGN §6.9): the SPA needs to know who is signed in
  const whoAmI = authenticate(ctx, { allowWithoutTwoFactor: true });

  router.post("/register", async (req, res) => {
    const input = parseBody(registerSchema, req);
    const { user, session } = await registerUser(ctx, input, requestMeta(req));
    await startSessionResponse(ctx, req, res, user, session);
    res.status(201).json({ user: publicUser(user) });
  });

  // The per-email failure limit is not here: it is counted in PostgreSQL by the login itself
  // (security/login-budget.ts), where the device cookie decides which budget applies.
  router.post("/login", limits.loginPerIp, async (req, res) => {
    const input = parseBody(loginSchema, req);
    const cookies = { trustedDevice: req.cookies?.[COOKIE.trustedDevice], device: req.cookies?.[COOKIE.signInDevice] };
    const outcome = await loginWithPassword(ctx, input, requestMeta(req), cookies);
    if (outcome.kind === "twoFactor") {
      // No session until the code step: drop any old one's cookies, unbind the CSRF token.
      ctx.cookies.clearSession(res);
      ctx.csrf.rebind(req, res, "");
      const ttl = ctx.config.loginChallengeTtlSeconds;
      ctx.cookies.setTwoFactor(res, ctx.tokens.signTwoFactor({ sub: outcome.userId, n: outcome.challengeId }, ttl), ttl);
      // which second factors this account can use, so the code page offers the right ones
      return void res.json({ requires2FA: true, methods: outcome.methods });
    }
    await startSessionResponse(ctx, req, res, outcome.user, outcome.session);
    if (outcome.deviceCookie) ctx.cookies.setTrustedDevice(res, outcome.deviceCookie.value, outcome.deviceCookie.ttlSeconds);
    res.json({ user: publicUser(outcome.user) });
  });

  const me = (req: Request) => {
    const requirement = req.auth!.twoFactorRequirement;
    // what the SPA's banner needs: whether 2FA must be set up, why, and by when
    return { ...publicUser(req.auth!.user), twoFactorRequirement: requirement && { ...requirement, deadline: requirement.deadline?.toISOString() ?? null } };
  };
  router.get("/me", whoAmI, (req, res) => {
    res.json(me(req));
  });
  // 200 {user} or {user: null}, refreshing a returning browser: the SPA's start-up (session-status.ts)
  router.get("/session", sessionStatus(ctx, whoAmI, me));

  return router;
}
