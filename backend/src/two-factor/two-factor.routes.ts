// /auth/2fa/*: parse with zod, call one service, respond.
import { Router, type Request, type Response } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import { publicUser, type SessionUser } from "../auth/session";
import { authenticate } from "../sessions/authenticate";
import { issueSessionTokens, startSessionResponse } from "../sessions/session-cookies";
import { AppError } from "../http/errors";
import { parseBody } from "../http/validate";
import { requestMeta } from "../security/audit";
import { disableTwoFactor, getTwoFactorStatus, regenerateBackupCodes } from "./manage";
import { enableTotp, removeTotp, startTotpSetup } from "./totp/totp-credential";
import { disableSchema, enableSchema, regenerateBackupCodesSchema, setupSchema, totpRemoveSchema, verifyLoginSchema } from "./two-factor.schemas";
import { completeTwoFactorLogin } from "./verify-login";
import { resendEnrolmentLink } from "./enrolment";
import { secondFactorOf } from "./second-factor";
import { stepUpOf } from "./step-up.schemas";
import type { Actor } from "./step-up";

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
      const { user, session, deviceCookie, clockDrift } = await completeTwoFactorLogin(ctx, token, secondFactorOf(proof)!, proof.rememberDevice === true, requestMeta(req));
      await startSessionResponse(ctx, req, res, user, session);
      if (deviceCookie) ctx.cookies.setTrustedDevice(res, deviceCookie.value, deviceCookie.ttlSeconds);
      res.json({ message: "2FA verified", user: publicUser(user), ...(clockDrift ? { clockDrift } : {}) });
    } catch (err) {
      if (err instanceof AppError && err.code === "SESSION_EXPIRED") ctx.cookies.clearTwoFactor(res);
      throw err;
    }
  });

  const actorOf = (req: Request): Actor => ({ user: req.auth!.user, sessionId: req.auth!.session.id, authTimeMs: req.auth!.session.authTimeMs, meta: requestMeta(req) });
  /** The session that made a change survives it: re-issued for the new tokenVersion (and a renewed sign-in time). */
  const reissue = (req: Request, res: Response, user: SessionUser, authTimeMs = req.auth!.session.authTimeMs) =>
    issueSessionTokens(ctx, res, user, { ...req.auth!.session, authTimeMs });

  // DESIGN §6 rules 7 and 20: the step-up for adding the app is given here, once
  router.post("/setup", requireAuthForSetup, async (req, res) => {
    const body = parseBody(setupSchema, req);
    const { authTimeMs, ...setup } = await startTotpSetup(ctx, actorOf(req), stepUpOf(body));
    if (authTimeMs !== req.auth!.session.authTimeMs) reissue(req, res, req.auth!.user, authTimeMs);
    res.json(setup);
  });

  // Rule 20: after an admin reset, a fresh link to the account's own address ("send it again").
  router.post("/enrolment-link", requireAuthForSetup, async (req, res) => {
    await resendEnrolmentLink(ctx, req.auth!.user.id, requestMeta(req));
    res.status(202).json({ message: "We emailed you a new link to set up two-factor authentication." });
  });

  // Confirms the secret the (proven) setup issued: no second proof for the same change.
  router.post("/enable", requireAuthForSetup, async (req, res) => {
    const { token, secret } = parseBody(enableSchema, req);
    const { user, backupCodes } = await enableTotp(ctx, actorOf(req), { token, secret });
    reissue(req, res, user);
    // backup codes only with the first factor: a passkey user keeps the codes they have
    res.json({ message: "2FA enabled", ...(backupCodes ? { backupCodes } : {}) });
  });

  router.post("/disable", requireAuth, async (req, res) => {
    const proof = parseBody(disableSchema, req);
    const user = await disableTwoFactor(ctx, actorOf(req), stepUpOf(proof));
    reissue(req, res, user);
    res.json({ message: "2FA disabled" });
  });

  // Removes only the authenticator app; when it was the last factor this is exactly a disable.
  router.post("/totp/remove", requireAuth, async (req, res) => {
    const proof = parseBody(totpRemoveSchema, req);
    const { user, twoFactorEnabled } = await removeTotp(ctx, actorOf(req), stepUpOf(proof));
    reissue(req, res, user);
    res.json({ message: twoFactorEnabled ? "Authenticator app removed" : "2FA disabled", twoFactorEnabled });
  });

  router.get("/status", requireAuth, async (req, res) => {
    res.json(await getTwoFactorStatus(ctx, req.auth!.user));
  });

  router.post("/backup-codes", requireAuth, async (req, res) => {
    const body = parseBody(regenerateBackupCodesSchema, req);
    const { user, backupCodes, authTimeMs } = await regenerateBackupCodes(ctx, actorOf(req), stepUpOf(body));
    reissue(req, res, user, authTimeMs);
    res.json({ backupCodes });
  });

  return router;
}
