// /auth/admin/* — admins only, with 2FA on (per-route options of authenticate). Thin: parse, one service call, respond.
// The actions (reset-2fa, unlock) carry the ADMIN's own password AND second factor (DESIGN §6 rule
// 7): a stolen admin session plus the admin's password must not be enough to take another account over.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Context } from "../context";
import { parseQuery, parseBody, parseResourceId } from "../http/validate";
import { requestMeta } from "../security/audit";
import { authenticate } from "../sessions/authenticate";
import { issueSessionTokens } from "../sessions/session-cookies";
import { requireStepUp } from "../two-factor/step-up";
import { stepUpOf, stepUpSchema } from "../two-factor/step-up.schemas";
import { listUsers, resetUserTwoFactor, unlockUser, type AdminActor } from "./admin.service";

export const listQuery = z.object({
  query: z.string().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.string().max(254).optional(),
});
/** Each action carries the admin's own step-up: password AND second factor. */
export const resetTwoFactorSchema = stepUpSchema({ reason: z.string().trim().min(10, "must say why in at least 10 characters").max(500) });
export const unlockSchema = stepUpSchema({});

export function adminRoutes(ctx: Context): Router {
  const router = Router();
  router.use(authenticate(ctx, { roles: ["ADMIN"], requireTwoFactor: true }));
  const actorOf = (req: Request): AdminActor => ({ admin: req.auth!.user, meta: requestMeta(req) });
  /**
   * DESIGN §6 rule 7 for the admin: their own password AND second factor, in the request (wrong ones
   * count in the admin's own budget: 401 INVALID_PASSWORD / 400 INVALID_CODE, then 429). The
   * renewed sign-in time is re-issued at once, so it holds even if the action then fails.
   */
  const adminStepUp = async (req: Request, res: Response, body: Parameters<typeof stepUpOf>[0], purpose: string) => {
    const session = req.auth!.session;
    const actor = { user: req.auth!.user, sessionId: session.id, authTimeMs: session.authTimeMs, meta: requestMeta(req) };
    const { authTimeMs } = await requireStepUp(ctx, actor, purpose, stepUpOf(body));
    if (authTimeMs !== session.authTimeMs) issueSessionTokens(ctx, res, req.auth!.user, { ...session, authTimeMs });
  };

  router.get("/users", async (req, res) => {
    res.json(await listUsers(ctx, parseQuery(listQuery, req)));
  });

  router.post("/users/:id/reset-2fa", async (req, res) => {
    const id = parseResourceId(req);
    const body = parseBody(resetTwoFactorSchema, req);
    await adminStepUp(req, res, body, "admin_reset_2fa");
    await resetUserTwoFactor(ctx, actorOf(req), id, body.reason);
    res.json({ message: "Two-factor authentication was reset. The user was emailed a link to set it up again (with their password)." });
  });

  router.post("/users/:id/unlock", async (req, res) => {
    const id = parseResourceId(req);
    const body = parseBody(unlockSchema, req);
    await adminStepUp(req, res, body, "admin_unlock");
    await unlockUser(ctx, actorOf(req), id);
    res.json({ message: "The account was unlocked and the user was emailed." });
  });

  return router;
}
