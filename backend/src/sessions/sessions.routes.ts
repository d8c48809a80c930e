// /auth/refresh, /auth/logout, /auth/logout-all, /auth/sessions, /auth/trusted-devices.
import { Router } from "express";
import type { Context } from "../context";
import { COOKIE } from "../auth/cookies";
import { publicUser } from "../auth/session";
import { AppError } from "../http/errors";
import { parseResourceId } from "../http/validate";
import { requestMeta } from "../security/audit";
import { authenticate } from "./authenticate";
import { endAllSessions, endCurrentSession, endOtherSessions, forgetDevice, refreshSession } from "./sessions.service";
import { endSessionResponse, issueSessionTokens } from "./session-cookies";
import { listSessions, revokeSession } from "./sessions";
import { listTrustedDevices } from "./trusted-devices";

export function sessionRoutes(ctx: Context): Router {
  const router = Router();
  const requireAuth = authenticate(ctx);

  router.post("/refresh", async (req, res) => {
    const outcome = await refreshSession(ctx, req.cookies?.[COOKIE.refresh], requestMeta(req));
    if (outcome.kind !== "rotated") {
      endSessionResponse(ctx, req, res);
      throw new AppError(outcome.kind === "reused" ? "SESSION_REVOKED" : "UNAUTHENTICATED");
    }
    issueSessionTokens(ctx, res, outcome.user, outcome.session);
    res.json({ user: publicUser(outcome.user) });
  });

  // No authentication needed: a logout must work with an expired access token (the refresh
  // token names the session too) and is harmless without any.
  router.post("/logout", async (req, res) => {
    await endCurrentSession(ctx, req.cookies ?? {}, requestMeta(req));
    endSessionResponse(ctx, req, res);
    res.json({ message: "Logged out" });
  });

  router.post("/logout-all", requireAuth, async (req, res) => {
    await endAllSessions(ctx, req.auth!.user.id, requestMeta(req));
    endSessionResponse(ctx, req, res);
    ctx.cookies.clearTrustedDevice(res);
    res.json({ message: "Logged out everywhere" });
  });

  router.get("/sessions", requireAuth, async (req, res) => {
    res.json({ sessions: await listSessions(ctx.db, req.auth!.user.id, req.auth!.session.id, ctx.clock.now()) });
  });

  router.delete("/sessions/:id", requireAuth, async (req, res) => {
    const id = parseResourceId(req);
    const { user, session } = req.auth!;
    const revoked = await revokeSession(ctx.db, { userId: user.id, sessionId: id, nowMs: ctx.clock.now(), meta: requestMeta(req), reason: "signed_out_from_list", event: "SESSION_REVOKED" });
    if (!revoked) throw new AppError("NOT_FOUND");
    if (id === session.id) endSessionResponse(ctx, req, res);
    res.status(204).end();
  });

  router.post("/sessions/revoke-others", requireAuth, async (req, res) => {
    res.json({ revoked: await endOtherSessions(ctx, req.auth!.user.id, req.auth!.session.id, requestMeta(req)) });
  });

  router.get("/trusted-devices", requireAuth, async (req, res) => {
    res.json({ devices: await listTrustedDevices(ctx.db, req.auth!.user.id, req.auth!.session.trustedDeviceId, ctx.clock.now()) });
  });

  router.delete("/trusted-devices/:id", requireAuth, async (req, res) => {
    const id = parseResourceId(req);
    if (!(await forgetDevice(ctx, req.auth!.user.id, id, requestMeta(req)))) throw new AppError("NOT_FOUND");
    res.status(204).end();
  });

  return router;
}
