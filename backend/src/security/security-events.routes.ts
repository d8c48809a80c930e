import { Router } from "express";
import { z } from "zod";
import type { Context } from "../context";
import { authenticate } from "../sessions/authenticate";
import { parseQuery } from "../http/validate";
import { decodeAuditCursor, listAuditEvents } from "./audit";

// GET /auth/security-events?limit=50&before=<cursor>: limit 1..100 (default 50); `before` is the
// nextCursor of the previous page. Anything else is 400 VALIDATION_FAILED, never a 500.
export const pageQuery = z.object({
  limit: z.coerce.number({ error: "must be a whole number from 1 to 100" }).int("must be a whole number from 1 to 100").min(1, "must be at least 1").max(100, "must be at most 100").default(50),
  before: z
    .string({ error: "must be a cursor from nextCursor" })
    .transform((cursor, ctx) => decodeAuditCursor(cursor) ?? (ctx.addIssue({ code: "custom", message: "must be a cursor from nextCursor" }), z.NEVER))
    .optional(),
});

export function securityEventRoutes(ctx: Context): Router {
  const router = Router();
  router.get("/security-events", authenticate(ctx), async (req, res) => {
    res.json(await listAuditEvents(ctx.db, req.auth!.user.id, parseQuery(pageQuery, req)));
  });
  return router;
}
