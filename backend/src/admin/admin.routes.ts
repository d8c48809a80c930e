// /auth/admin/* — admins only, with 2FA on (per-route options of authenticate). Thin: parse, one service call, respond.
import { Router, type Request } from "express";
import { z } from "zod";
import type { Context } from "../context";
import { parseBody, parseQuery, parseResourceId } from "../http/validate";
import { requestMeta } from "../security/audit";
import { authenticate } from "../sessions/authenticate";
import { listUsers, resetUserTwoFactor, unlockUser, type AdminActor } from "./admin.service";

const listQuery = z.object({
  query: z.string().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.string().max(254).optional(),
});
export const resetTwoFactorSchema = z.object({
  reason: z.string().trim().min(10, "must say why in at least 10 characters").max(500),
});

export function adminRoutes(ctx: Context): Router {
  const router = Router();
  router.use(authenticate(ctx, { roles: ["ADMIN"], requireTwoFactor: true }));
  const actorOf = (req: Request): AdminActor => ({ admin: req.auth!.user, meta: requestMeta(req) });

  router.get("/users", async (req, res) => {
    res.json(await listUsers(ctx, parseQuery(listQuery, req)));
  });

  router.post("/users/:id/reset-2fa", async (req, res) => {
    const id = parseResourceId(req);
    const { reason } = parseBody(resetTwoFactorSchema, req);
    await resetUserTwoFactor(ctx, actorOf(req), id, reason);
    res.json({ message: "Two-factor authentication was reset. The user was emailed and must set it up again at the next sign-in." });
  });

  router.post("/users/:id/unlock", async (req, res) => {
    const id = parseResourceId(req);
    await unlockUser(ctx, actorOf(req), id);
    res.json({ message: "The account was unlocked and the user was emailed." });
  });

  return router;
}
