// /auth/passkey/*: signing in with a passkey alone (passkey-login.ts). Mounted behind the per-IP
// flood limit of /auth/login (app.ts): every request, failed or not, counts there.
import { Router } from "express";
import type { Context } from "../../context";
import { COOKIE } from "../../auth/cookies";
import { publicUser } from "../../auth/session";
import { parseBody } from "../../http/validate";
import { requestMeta } from "../../security/audit";
import { startSessionResponse } from "../../sessions/session-cookies";
import { passkeyLoginSchema } from "./passkey.schemas";
import { PASSKEY_LOGIN_TTL_SECONDS, passkeySignInOptions, signInWithPasskey } from "./passkey-login";

export function passkeyLoginRoutes(ctx: Context): Router {
  const router = Router();

  router.post("/options", async (_req, res) => {
    const { options, challengeId } = await passkeySignInOptions(ctx);
    ctx.cookies.setPasskeyLogin(res, challengeId, PASSKEY_LOGIN_TTL_SECONDS);
    res.json(options);
  });

  router.post("/login", async (req, res) => {
    const input = parseBody(passkeyLoginSchema, req);
    const challengeId = req.cookies?.[COOKIE.passkeyLogin];
    // the challenge is single use: whatever happens below, this browser's cookie is spent
    ctx.cookies.clearPasskeyLogin(res);
    const { user, session } = await signInWithPasskey(ctx, challengeId, input, requestMeta(req));
    await startSessionResponse(ctx, req, res, user, session);
    res.json({ user: publicUser(user) });
  });

  return router;
}
