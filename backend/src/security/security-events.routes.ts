import { Router } from "express";
import type { Context } from "../context";
import { authenticate } from "../auth/session";
import { listAuditEvents } from "./audit";

export function securityEventRoutes(ctx: Context): Router {
  const router = Router();
  router.get("/security-events", authenticate(ctx), async (req, res) => {
    res.json({ events: await listAuditEvents(ctx.db, req.auth!.user.id) });
  });
  return router;
}
