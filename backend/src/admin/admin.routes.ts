// /auth/admin/* — admins only, with 2FA on (per-route options of authenticate). Thin: parse, one service call, respond.
// The actions (reset-2fa, unlock) also need the ADMIN's recent login (DESIGN §6.7): a stolen admin
// session of any age must not be enough to take another account over.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Context } from "../context";
import { parseBody, parseQuery, parseResourceId, passwordSchema } from "../http/validate";
import { requestMeta } from "../security/audit";
import { requireRecentAuth } from "../security/proof";
import { authenticate } from "../sessions/authenticate";
import { issueSessionTokens } from "../sessions/session-cookies";
import { listUsers, resetUserTwoFactor, unlockUser, type AdminActor } from "./admin.service";

export const listQuery = z.object({
  query: z.string().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.string().max(254).optional(),
});
/** The admin's own password: needed only when their login is over REAUTH_MAX_AGE_SECONDS old. */
const adminPassword = passwordSchema.optional();
export const resetTwoFactorSchema = z.object({
  reason: z.string().trim().min(10, "must say why in at least 10 characters").max(500),
  password: adminPassword,
});
export const unlockSchema = z.object({ password: adminPassword });

export function adminRoutes(ctx: Context): Router {
  const router = Router();
  router.use(authenticate(ctx, { roles: ["ADMIN"], requireTwoFactor: true }));
  const actorOf = (req: Request): AdminActor => ({ admin: req.auth!.user, meta: requestMeta(req) });
  /**
   * DESIGN §6.7 for the admin's session: a login under 10 minutes old, or the admin's password now
   * (a wrong one counts in the admin's own budget: 401 INVALID_PASSWORD, then 429). A right one
   * renews this session's authTime, re-issued at once so it holds even if the action then fails.
   */
  const recentAdminAuth = async (req: Request, res: Response, password: string | undefined) => {
    const session = req.auth!.session;
    const authTimeMs = await requireRecentAuth(ctx, { userId: req.auth!.user.id, meta: requestMeta(req), purpose: "admin_action", sessionId: session.id, authTimeMs: session.authTimeMs }, password);
    if (authTimeMs !== session.authTimeMs) issueSessionTokens(ctx, res, req.auth!.user, { ...session, authTimeMs });
  };

  router.get("/users", async (req, res) => {
    res.json(await listUsers(ctx, parseQuery(listQuery, req)));
  });

  router.post("/users/:id/reset-2fa", async (req, res) => {
    const id = parseResourceId(req);
    const { reason, password } = parseBody(resetTwoFactorSchema, req);
    await recentAdminAuth(req, res, password);
    await resetUserTwoFactor(ctx, actorOf(req), id, reason);
    res.json({ message: "Two-factor authentication was reset. The user was emailed and must set it up again at the next sign-in." });
  });

  router.post("/users/:id/unlock", async (req, res) => {
    const id = parseResourceId(req);
    const { password } = parseBody(unlockSchema, req);
    await recentAdminAuth(req, res, password);
    await unlockUser(ctx, actorOf(req), id);
    res.json({ message: "The account was unlocked and the user was emailed." });
  });

  return router;
}
