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
import { disableTwoFactor, getTwoFactorStatus, regenerateBackupCodes, type SecondProof } from "./manage";
import { enableTotp, hasTotp, removeTotp, startTotpSetup, type Actor } from "./totp/totp-credential";
import { disableSchema, enableSchema, regenerateBackupCodesSchema, setupSchema, totpRemoveSchema, verifyLoginSchema } from "./two-factor.schemas";
import { completeTwoFactorLogin, type LoginProof } from "./verify-login";
import type { AuthenticationResponseBody } from "./passkey/passkey.schemas";

/** The second factor of a proof body ({code} | {backupCode}; PASSKEY helper: + {passkey}). */
const secondOf = (body: { code?: string; backupCode?: string; passkey?: AuthenticationResponseBody }): SecondProof =>
  body.code !== undefined ? { code: body.code } : body.passkey !== undefined ? { passkey: body.passkey } : { backupCode: body.backupCode! };

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
      const loginProof: LoginProof = proof.passkey !== undefined ? { passkey: proof.passkey } : secondOf(proof);
      const { user, session, deviceCookie } = await completeTwoFactorLogin(ctx, token, loginProof, proof.rememberDevice === true, requestMeta(req));
      await startSessionResponse(ctx, req, res, user, session);
      if (deviceCookie) ctx.cookies.setTrustedDevice(res, deviceCookie.value, deviceCookie.ttlSeconds);
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
    // 409 only when the authenticator app is already on (a passkey user may add one); checked
    // before the password is spent
    if (await hasTotp(ctx.db, req.auth!.user.id)) throw new AppError("TWOFA_ALREADY_ENABLED");
    const authTimeMs = await recentAuth(req, password);
    const setup = await startTotpSetup(ctx, req.auth!.user, requestMeta(req));
    if (authTimeMs !== req.auth!.session.authTimeMs) reissue(req, res, req.auth!.user, authTimeMs);
    res.json(setup);
  });

  router.post("/enable", requireAuthForSetup, async (req, res) => {
    const { token, secret, password } = parseBody(enableSchema, req);
    const authTimeMs = await recentAuth(req, password);
    const { user, backupCodes } = await enableTotp(ctx, actorOf(req), { token, secret });
    reissue(req, res, user, authTimeMs);
    // backup codes only with the first factor: a passkey user keeps the codes they have
    res.json({ message: "2FA enabled", ...(backupCodes ? { backupCodes } : {}) });
  });

  router.post("/disable", requireAuth, async (req, res) => {
    const proof = parseBody(disableSchema, req);
    const user = await disableTwoFactor(ctx, actorOf(req), { password: proof.password, second: secondOf(proof) });
    reissue(req, res, user);
    res.json({ message: "2FA disabled" });
  });

  // Removes only the authenticator app; when it was the last factor this is exactly a disable.
  router.post("/totp/remove", requireAuth, async (req, res) => {
    const proof = parseBody(totpRemoveSchema, req);
    const { user, twoFactorEnabled } = await removeTotp(ctx, actorOf(req), { password: proof.password, second: secondOf(proof) });
    reissue(req, res, user);
    res.json({ message: twoFactorEnabled ? "Authenticator app removed" : "2FA disabled", twoFactorEnabled });
  });

  router.get("/status", requireAuth, async (req, res) => {
    res.json(await getTwoFactorStatus(ctx, req.auth!.user));
  });

  router.post("/backup-codes", requireAuth, async (req, res) => {
    const { code, backupCode, passkey, password } = parseBody(regenerateBackupCodesSchema, req);
    const authTimeMs = await recentAuth(req, password);
    const { user, backupCodes } = await regenerateBackupCodes(ctx, actorOf(req), secondOf({ code, backupCode, passkey }));
    reissue(req, res, user, authTimeMs);
    res.json({ backupCodes });
  });

  return router;
}
