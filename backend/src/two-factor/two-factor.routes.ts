// /auth/2fa/*: parse with zod, call one service, respond.
import { Router } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import { authenticate, issueSession, publicUser, requireRecentAuth } from "../auth/session";
import { AppError } from "../http/errors";
import { parseBody } from "../http/validate";
import { requestMeta } from "../security/audit";
import { disableTwoFactor, enableTwoFactor, getTwoFactorStatus, regenerateBackupCodes, startTwoFactorSetup } from "./manage";
import { disableSchema, enableSchema, regenerateBackupCodesSchema, setupSchema, verifyLoginSchema } from "./two-factor.schemas";
import { verifyLoginChallenge } from "./verify-login";

export function twoFactorRoutes(ctx: Context): Router {
  const router = Router();
  const requireAuth = authenticate(ctx);

  router.post("/verify-login", async (req, res) => {
    const proof = parseBody(verifyLoginSchema, req);
    const raw = req.cookies?.[COOKIE.twoFactor];
    const token = typeof raw === "string" ? ctx.tokens.verifyTwoFactor(raw) : null;
    if (!token) {
      ctx.cookies.clearTwoFactor(res);
      throw new AppError("SESSION_EXPIRED");
    }
    try {
      const { user, authTime } = await verifyLoginChallenge(ctx, token, proof.code !== undefined ? { code: proof.code } : { backupCode: proof.backupCode! }, requestMeta(req));
      ctx.cookies.clearTwoFactor(res);
      issueSession(ctx, res, user, authTime);
      if (proof.rememberDevice) ctx.cookies.setDevice(res, ctx.tokens.signDevice({ sub: user.id, tv: user.tokenVersion }));
      res.json({ message: "2FA verified", user: publicUser(user) });
    } catch (err) {
      if (err instanceof AppError && err.code === "SESSION_EXPIRED") ctx.cookies.clearTwoFactor(res);
      throw err;
    }
  });

  router.post("/setup", requireAuth, async (req, res) => {
    const { password } = parseBody(setupSchema, req);
    if (req.auth!.user.twoFactorEnabled) throw new AppError("TWOFA_ALREADY_ENABLED");
    await requireRecentAuth(ctx, req.auth!.user.id, req.auth!.authTime, password);
    res.json(await startTwoFactorSetup(ctx, req.auth!.user, requestMeta(req)));
  });

  router.post("/enable", requireAuth, async (req, res) => {
    const { token, secret, password } = parseBody(enableSchema, req);
    const authTime = await requireRecentAuth(ctx, req.auth!.user.id, req.auth!.authTime, password);
    const { user, backupCodes } = await enableTwoFactor(ctx, req.auth!.user, { token, secret }, requestMeta(req));
    issueSession(ctx, res, user, authTime);
    res.json({ message: "2FA enabled", backupCodes });
  });

  router.post("/disable", requireAuth, async (req, res) => {
    const proof = parseBody(disableSchema, req);
    const user = await disableTwoFactor(ctx, req.auth!.user, proof.password !== undefined ? { password: proof.password } : { code: proof.code! }, requestMeta(req));
    issueSession(ctx, res, user, req.auth!.authTime);
    res.json({ message: "2FA disabled" });
  });

  router.get("/status", requireAuth, async (req, res) => {
    res.json(await getTwoFactorStatus(ctx, req.auth!.user));
  });

  router.post("/backup-codes", requireAuth, async (req, res) => {
    const { code, password } = parseBody(regenerateBackupCodesSchema, req);
    const authTime = await requireRecentAuth(ctx, req.auth!.user.id, req.auth!.authTime, password);
    const { user, backupCodes } = await regenerateBackupCodes(ctx, req.auth!.user, code, requestMeta(req));
    issueSession(ctx, res, user, authTime);
    res.json({ backupCodes });
  });

  return router;
}
