// /auth/2fa/passkeys* and /auth/2fa/passkey-options: parse with zod, call one service, respond.
// Mounted under /auth/2fa (app.ts) so the twofa_token cookie (Path /auth/2fa) reaches
// passkey-options, and the /auth/2fa flood limit covers every route here.
import { Router, type Request, type Response } from "express";
import type { Context } from "../../context";
import { COOKIE } from "../../auth/cookies";
import type { SessionUser } from "../../auth/session";
import { AppError } from "../../http/errors";
import { parseBody, parseResourceId } from "../../http/validate";
import { requestMeta } from "../../security/audit";
import { authenticate } from "../../sessions/authenticate";
import { issueSessionTokens } from "../../sessions/session-cookies";
import { addPasskeySchema, removePasskeySchema, renamePasskeySchema } from "./passkey.schemas";
import { registrationOptionsSchema, stepUpOf } from "../step-up.schemas";
import { listPasskeys, removePasskey, renamePasskey, type PasskeyActor } from "./passkeys";
import { finishPasskeyRegistration, startPasskeyRegistration } from "./registration";
import { passkeyLoginOptions, passkeyProofOptions } from "./verify";

export function passkeyRoutes(ctx: Context): Router {
  const router = Router();
  const requireAuth = authenticate(ctx);
  // DESIGN §6.9: adding a first factor stays reachable while 2FA is required (like TOTP setup)
  const requireAuthForSetup = authenticate(ctx, { allowWithoutTwoFactor: true });

  const actorOf = (req: Request): PasskeyActor => ({ user: req.auth!.user, sessionId: req.auth!.session.id, authTimeMs: req.auth!.session.authTimeMs, meta: requestMeta(req) });
  /** The session that made a change survives it: re-issued for the new tokenVersion. */
  const reissue = (req: Request, res: Response, user: SessionUser, authTimeMs = req.auth!.session.authTimeMs) =>
    issueSessionTokens(ctx, res, user, { ...req.auth!.session, authTimeMs });

  // The code step of a login: options for navigator.credentials.get(), kept on the LoginChallenge.
  router.post("/passkey-options", async (req, res) => {
    const raw = req.cookies?.[COOKIE.twoFactor];
    const token = typeof raw === "string" ? ctx.tokens.verifyTwoFactor(raw) : null;
    try {
      if (!token) throw new AppError("SESSION_EXPIRED");
      res.json(await passkeyLoginOptions(ctx, token));
    } catch (err) {
      if (err instanceof AppError && err.code === "SESSION_EXPIRED") ctx.cookies.clearTwoFactor(res);
      throw err;
    }
  });

  // DESIGN §6 rules 7 and 20: the step-up for adding a passkey is given here, once; the challenge
  // it yields is bound to this session (POST /passkeys takes it).
  router.post("/passkeys/registration-options", requireAuthForSetup, async (req, res) => {
    const body = parseBody(registrationOptionsSchema, req);
    const { authTimeMs, options } = await startPasskeyRegistration(ctx, actorOf(req), stepUpOf(body));
    if (authTimeMs !== req.auth!.session.authTimeMs) reissue(req, res, req.auth!.user, authTimeMs);
    res.json(options);
  });

  router.post("/passkeys/proof-options", requireAuth, async (req, res) => {
    res.json(await passkeyProofOptions(ctx, { userId: req.auth!.user.id, sessionId: req.auth!.session.id }));
  });

  router.post("/passkeys", requireAuthForSetup, async (req, res) => {
    const input = parseBody(addPasskeySchema, req);
    const { passkey, backupCodes, user } = await finishPasskeyRegistration(ctx, actorOf(req), input);
    reissue(req, res, user);
    res.status(201).json(backupCodes ? { passkey, backupCodes } : { passkey });
  });

  router.get("/passkeys", requireAuth, async (req, res) => {
    res.json({ passkeys: await listPasskeys(ctx.db, req.auth!.user.id) });
  });

  router.patch("/passkeys/:id", requireAuth, async (req, res) => {
    const id = parseResourceId(req);
    const { name } = parseBody(renamePasskeySchema, req);
    res.json({ passkey: await renamePasskey(ctx, actorOf(req), id, name) });
  });

  router.post("/passkeys/:id/remove", requireAuth, async (req, res) => {
    const id = parseResourceId(req);
    const body = parseBody(removePasskeySchema, req);
    const { user, twoFactorEnabled } = await removePasskey(ctx, actorOf(req), id, stepUpOf(body));
    reissue(req, res, user);
    res.json({ message: twoFactorEnabled ? "Passkey removed" : "Passkey removed; two-factor authentication is off", twoFactorEnabled });
  });

  return router;
}
