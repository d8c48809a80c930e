// /auth/2fa/*: parse with zod, call one service, respond.
import { Router, type Request, type Response } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import { publicUser, type SessionUser } from "../auth/session";
import { requireRecentAuth } from "../security/proof";
import { authenticate } from "../sessions/authenticate";
import { issueSessionTokens, startSessionResponse } from "../sessions/session-cookies";
import { AppError } from "../http/errors";
import { parseBody } from "../http/validate";
import { requestMeta } from "../security/audit";
import { disableTwoFactor, enableTwoFactor, getTwoFactorStatus, regenerateBackupCodes, startTwoFactorSetup, type Actor } from "./manage";
import { disableSchema, enableSchema, regenerateBackupCodesSchema, setupSchema, verifyLoginSchema } from "./two-factor.schemas";
import { completeTwoFactorLogin } from "./verify-login";

export function twoFactorRoutes(ctx: Context): Router {
  const router = Router();
  const requireAuth = authenticate(ctx);
  // DESIGN §6.9: what it takes to turn 2FA on stays reachable while 2FA is required
  const requireAuthForSetup = authenticate(ctx, { allowWithoutTwoFactor: true });

  router.post("/verify-login", async (req, res) => {
    const proof = parseBody(verifyLoginSchema, req);
    const raw = req.cookies?.[COOKIE.twoFactor];
    const token = typeof raw === "string" ? ctx.tokens.verifyTwoFactor(raw) : null;
    if (!token) {
      ctx.cookies.clearTwoFactor(res);
      throw new AppError("SESSION_EXPIRED");
    }
    try {
      const loginProof = proof.code !== undefined ? { code: proof.code } : { backupCode: proof.backupCode! };
      const { user, session, deviceCookie } = await completeTwoFactorLogin(ctx, token, loginProof, proof.rememberDevice === true, requestMeta(req));
      startSessionResponse(ctx, req, res, user, session);
      if (deviceCookie) ctx.cookies.setDevice(res, deviceCookie.value, deviceCookie.ttlSeconds);
      res.json({ message: "2FA verified", user: publicUser(user) });
    } catch (err) {
      if (err instanceof AppError && err.code === "SESSION_EXPIRED") ctx.cookies.clearTwoFactor(res);
      throw err;
    }
  });

  const actorOf = (req: Request): Actor => ({ user: req.auth!.user, sessionId: req.auth!.session.id, meta: requestMeta(req) });
  /** DESIGN §6.7: a login under 10 minutes old, or the password now (counted in the budget). */
  const recentAuth = (req: Request, password: string | undefined) =>
    requireRecentAuth(ctx, { userId: req.auth!.user.id, meta: requestMeta(req), purpose: "reauth", sessionId: req.auth!.session.id, authTimeMs: req.auth!.session.authTimeMs }, password);
  /** The session that made a change survives it: re-issued for the new tokenVersion. */
  const reissue = (req: Request, res: Response, user: SessionUser, authTimeMs = req.auth!.session.authTimeMs) =>
    issueSessionTokens(ctx, res, user, { ...req.auth!.session, authTimeMs });

  router.post("/setup", requireAuthForSetup, async (req, res) => {
    const { password } = parseBody(setupSchema, req);
    if (req.auth!.user.twoFactorEnabled) throw new AppError("TWOFA_ALREADY_ENABLED");
    const authTimeMs = await recentAuth(req, password);
    const setup = await startTwoFactorSetup(ctx, req.auth!.user, requestMeta(req));
    if (authTimeMs !== req.auth!.session.authTimeMs) reissue(req, res, req.auth!.user, authTimeMs);
    res.json(setup);
  });

  router.post("/enable", requireAuthForSetup, async (req, res) => {
    const { token, secret, password } = parseBody(enableSchema, req);
    const authTimeMs = await recentAuth(req, password);
    const { user, backupCodes } = await enableTwoFactor(ctx, actorOf(req), { token, secret });
    reissue(req, res, user, authTimeMs);
    res.json({ message: "2FA enabled", backupCodes });
  });

  router.post("/disable", requireAuth, async (req, res) => {
    const proof = parseBody(disableSchema, req);
    const user = await disableTwoFactor(ctx, actorOf(req), proof.code !== undefined ? { password: proof.password, code: proof.code } : { password: proof.password, backupCode: proof.backupCode! });
    reissue(req, res, user);
    res.json({ message: "2FA disabled" });
  });

  router.get("/status", requireAuth, async (req, res) => {
    res.json(await getTwoFactorStatus(ctx, req.auth!.user));
  });

  router.post("/backup-codes", requireAuth, async (req, res) => {
    const { code, backupCode, password } = parseBody(regenerateBackupCodesSchema, req);
    const authTimeMs = await recentAuth(req, password);
    const { user, backupCodes } = await regenerateBackupCodes(ctx, actorOf(req), code !== undefined ? { code } : { backupCode: backupCode! });
    reissue(req, res, user, authTimeMs);
    res.json({ backupCodes });
  });

  return router;
}
