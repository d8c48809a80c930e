// Session use cases behind the routes: refresh, logout, logout-all, revoke others, forget a device.
import type { Context } from "../context";
import type { Db } from "../db/prisma";
import { newAuditId, recordAuditEvent, type RequestMeta } from "../security/audit";
import { revokeOtherSessions, revokeSession, rotateRefreshToken, type RefreshOutcome } from "./sessions";
import { forgetTrustedDevices } from "./trusted-devices";

export async function refreshSession(ctx: Context, refreshCookie: unknown, meta: RequestMeta): Promise<RefreshOutcome> {
  const claims = typeof refreshCookie === "string" ? ctx.tokens.verifyRefresh(refreshCookie) : null;
  if (!claims || typeof claims.sid !== "string" || typeof claims.gen !== "number") return { kind: "invalid" };
  return rotateRefreshToken(ctx.db, ctx.hotSql, claims, ctx.clock.now(), meta);
}

/** Logout: the session named by the access token, or by the refresh token once that has expired. */
export async function endCurrentSession(ctx: Context, cookies: Record<string, unknown>, meta: RequestMeta): Promise<void> {
  const access = typeof cookies.access_token === "string" ? ctx.tokens.verifyAccess(cookies.access_token) : null;
  const refresh = access ? null : typeof cookies.refresh_token === "string" ? ctx.tokens.verifyRefresh(cookies.refresh_token) : null;
  const claims = access ?? refresh;
  if (!claims?.sid) return;
  await revokeSession(ctx.db, { userId: claims.sub, sessionId: claims.sid, nowMs: ctx.clock.now(), meta, reason: "logout", event: "LOGOUT" });
}

/**
 * The "end everything" switch: tokenVersion++ (every token already issued dies at once), every
 * session row revoked, every remembered device forgotten — one batch transaction.
 */
export async function endAllSessions(ctx: Context, userId: string, meta: RequestMeta): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db.$transaction([
    ctx.db.user.update({ where: { id: userId }, data: { tokenVersion: { increment: 1 } } }),
    revokeOtherSessions(ctx.db, userId, null, now, "logout_all"),
    forgetTrustedDevices(ctx.db, userId),
    voidPendingLogins(ctx.db, userId),
    ctx.db.auditEvent.create({ data: { id: newAuditId(), userId, type: "SESSIONS_REVOKED", ip: meta.ip, userAgent: meta.userAgent, detail: { scope: "all" } } }),
  ]);
}

export async function endOtherSessions(ctx: Context, userId: string, currentSessionId: string, meta: RequestMeta): Promise<number> {
  const [revoked] = await ctx.db.$transaction([
    revokeOtherSessions(ctx.db, userId, currentSessionId, ctx.clock.now(), "signed_out_from_list"),
    voidPendingLogins(ctx.db, userId),
    ctx.db.auditEvent.create({ data: { id: newAuditId(), userId, type: "SESSIONS_REVOKED", ip: meta.ip, userAgent: meta.userAgent, detail: { scope: "others" } } }),
  ]);
  return revoked.count;
}

/**
 * A login half-way (password given, code pending) is a session to be: whatever ends every other
 * session ends it too, or whoever had the old password (or the stolen session's owner's password)
 * could still finish it with one phished code. A batchable Prisma operation.
 */
export function voidPendingLogins(db: Pick<Db, "loginChallenge">, userId: string) {
  return db.loginChallenge.deleteMany({ where: { userId, consumedAt: null } });
}

/**
 * For a change that bumps tokenVersion (2FA on/off, new backup codes, a password change): batch
 * operations that end every other session, every remembered device and every login half-way.
 * The caller re-issues its own session.
 */
export function endEverythingElse(db: Pick<Db, "session" | "trustedDevice" | "loginChallenge">, userId: string, keepSessionId: string, nowMs: number, reason: string) {
  return [revokeOtherSessions(db, userId, keepSessionId, nowMs, reason), forgetTrustedDevices(db, userId), voidPendingLogins(db, userId)] as const;
}

export async function forgetDevice(ctx: Context, userId: string, deviceId: string, meta: RequestMeta): Promise<boolean> {
  const { count } = await forgetTrustedDevices(ctx.db, userId, deviceId);
  if (count === 1) await recordAuditEvent(ctx.db, { userId, type: "TRUSTED_DEVICE_REMOVED", meta });
  return count === 1;
}
