import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { recordAuditEvent, type RequestMeta } from "../security/audit";
import { burnPasswordVerification, hashPassword, verifyPassword } from "./password";
import { findSessionUser, SESSION_USER_SELECT, type SessionUser } from "./session";

export async function registerUser(ctx: Context, input: { email: string; password: string }, meta: RequestMeta): Promise<SessionUser> {
  const passwordHash = await hashPassword(input.password);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, passwordHash }, select: SESSION_USER_SELECT });
      await recordAuditEvent(tx, { userId: user.id, type: "REGISTERED", meta });
      return user;
    });
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") throw new AppError("EMAIL_TAKEN");
    throw err;
  }
}

export type LoginOutcome = { kind: "session"; user: SessionUser } | { kind: "twoFactor"; userId: string; challengeId: string };

/**
 * @param trustedDevice claims of a valid "remember this device" cookie, if any: it replaces the
 *   code step only for its own user and only while tokenVersion is unchanged (any 2FA change or
 *   "log out everywhere" forgets every remembered device).
 */
export async function loginWithPassword(
  ctx: Context,
  input: { email: string; password: string },
  meta: RequestMeta,
  trustedDevice?: { sub: string; tv: number } | null,
): Promise<LoginOutcome> {
  const user = await ctx.db.user.findUnique({ where: { email: input.email }, select: { ...SESSION_USER_SELECT, passwordHash: true } });
  if (!user) {
    await burnPasswordVerification(input.password);
    await recordAuditEvent(ctx.db, { userId: null, type: "LOGIN_FAILURE", meta, detail: { reason: "unknown_email" } });
    throw new AppError("INVALID_CREDENTIALS");
  }
  if (!(await verifyPassword(user.passwordHash, input.password))) {
    await recordAuditEvent(ctx.db, { userId: user.id, type: "LOGIN_FAILURE", meta, detail: { reason: "wrong_password" } });
    throw new AppError("INVALID_CREDENTIALS");
  }
  const { passwordHash: _omit, ...sessionUser } = user;
  if (!user.twoFactorEnabled) {
    await recordAuditEvent(ctx.db, { userId: user.id, type: "LOGIN_SUCCESS", meta });
    return { kind: "session", user: sessionUser };
  }
  if (trustedDevice && trustedDevice.sub === user.id && trustedDevice.tv === user.tokenVersion) {
    await recordAuditEvent(ctx.db, { userId: user.id, type: "LOGIN_SUCCESS", meta, detail: { trustedDevice: true } });
    return { kind: "session", user: sessionUser };
  }
  // The challenge is the server side of the twofa_token: without a row here the token is
  // worthless, and the row can be consumed exactly once (two-factor/verify-login.ts).
  const challengeId = crypto.randomBytes(24).toString("base64url");
  await ctx.db.loginChallenge.create({
    data: { id: challengeId, userId: user.id, expiresAt: new Date(ctx.clock.now() + ctx.config.loginChallengeTtlSeconds * 1000) },
  });
  return { kind: "twoFactor", userId: user.id, challengeId };
}

/** Refresh: the token must still match tokenVersion; the user may have been revoked since. */
export async function findUserForRefresh(ctx: Context, userId: string, tokenVersion: number): Promise<SessionUser> {
  const user = await findSessionUser(ctx.db, userId);
  if (!user || user.tokenVersion !== tokenVersion) throw new AppError("UNAUTHENTICATED");
  return user;
}

/** Ends every session of the user (this one included, unless the caller re-issues it). */
export async function invalidateUserSessions(ctx: Context, userId: string, meta: RequestMeta): Promise<void> {
  await ctx.db.$transaction([
    ctx.db.user.update({ where: { id: userId }, data: { tokenVersion: { increment: 1 } } }),
    ctx.db.auditEvent.create({ data: { userId, type: "SESSIONS_REVOKED", ip: meta.ip, userAgent: meta.userAgent } }),
  ]);
}
