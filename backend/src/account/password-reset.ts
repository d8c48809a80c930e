// Password reset by email (issue 14). The link carries a 256-bit random token; only its SHA-256
// is stored (a high-entropy secret needs no slow hash), the outbox keeps the token encrypted
// until the mail is out (mail/outbox.ts `sealed`). A link works once, for an hour (resetLinkTtlMs).
//  - The request answers the same whether or not the email has an account, and costs the same:
//    ONE statement that inserts the token, the audit event and the outbox row only when the
//    user exists.
//  - The reset consumes the token with a guarded UPDATE (of two requests with one link, one
//    wins) in the transaction that changes the password, bumps tokenVersion, ends every session,
//    forgets every remembered device, voids the other links and open login challenges, lifts the
//    password-login lock, audits and emails. 2FA is untouched: the next login still asks for the
//    second factor.
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { hashPassword } from "../auth/password";
import { sqlTime } from "../db/sql";
import { AppError } from "../http/errors";
import { enqueueMail, eventData, sqlEnqueueMail } from "../mail/outbox";
import { recordAuditEvent, sqlAuditInsert, type RequestMeta } from "../security/audit";
import { revokeOtherSessions } from "../sessions/sessions";
import { forgetTrustedDevices } from "../sessions/trusted-devices";
import { sqlLiftLoginLock } from "../security/login-budget";
import { assertAllowedPassword } from "./password-rule";

/**
 * A link lives as long as the window of the per-address cap on reset emails
 * (RATE_LIMIT_RESET_EMAIL_MAX per rateLimit.resetWindowMs, password.routes.ts). Anyone can spend
 * that cap with forgot-password requests, and then the owner's own request sends nothing; but the
 * cap's window starts with the first of those requests, whose link is in the owner's mailbox and
 * works until the window ends (a newer link does not void older ones). So the owner always holds
 * a working link. With links shorter than the window (30 minutes before), three requests by a
 * stranger left the owner without any for the rest of the hour.
 */
export const resetLinkTtlMs = (config: Context["config"]) => config.rateLimit.resetWindowMs;

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

/**
 * Emails a reset link when `email` has an account; does nothing visible otherwise. Returns
 * whether a link was issued (for tests; the route answers the same either way).
 */
export async function requestPasswordReset(ctx: Context, email: string, meta: RequestMeta): Promise<boolean> {
  const token = crypto.randomBytes(32).toString("base64url");
  const now = ctx.clock.now();
  const expiresAt = now + resetLinkTtlMs(ctx.config);
  const data = { ...eventData(meta, now), expiresAt: new Date(expiresAt).toISOString(), sealed: { token: ctx.secretBox.encrypt(token) } };
  const userOf = Prisma.sql`(SELECT "userId" FROM t)`;
  const [row] = await ctx.db.$queryRaw<{ issued: number }[]>`
    WITH u AS (SELECT "id" FROM "User" WHERE "email" = ${email}),
    t AS (
      INSERT INTO "PasswordResetToken" ("id", "userId", "tokenHash", "createdAt", "expiresAt", "ip", "userAgent")
      SELECT ${crypto.randomUUID()}, u."id", ${hashToken(token)}, ${sqlTime(now)}, ${sqlTime(expiresAt)}, ${meta.ip}, ${meta.userAgent} FROM u
      RETURNING "userId"
    ),
    a AS (${sqlAuditInsert(userOf, "PASSWORD_RESET_REQUESTED", meta)} WHERE EXISTS (SELECT 1 FROM t)),
    m AS (${sqlEnqueueMail(userOf, "password_reset_requested", data, now)})
    SELECT count(*)::int AS issued FROM t`;
  return row.issued === 1;
}

interface LinkRow {
  userId: string;
  email: string;
  expiresAt: Date;
  usedAt: Date | null;
}

/** The account a link resets, or the 400 that says why it cannot be used (forged, used, expired). */
export async function checkResetLink(ctx: Context, token: string): Promise<{ userId: string; email: string }> {
  if (!TOKEN_PATTERN.test(token)) throw new AppError("RESET_LINK_INVALID");
  const [link] = await ctx.db.$queryRaw<LinkRow[]>`
    SELECT t."userId", u."email", t."expiresAt", t."usedAt"
    FROM "PasswordResetToken" t JOIN "User" u ON u."id" = t."userId"
    WHERE t."tokenHash" = ${hashToken(token)}`;
  if (!link) throw new AppError("RESET_LINK_INVALID");
  if (link.usedAt) throw new AppError("RESET_LINK_USED");
  if (link.expiresAt.getTime() <= ctx.clock.now()) throw new AppError("RESET_LINK_EXPIRED");
  return { userId: link.userId, email: link.email };
}

const LINK_LOST = Symbol("link-lost");

export async function resetPassword(ctx: Context, token: string, newPassword: string, meta: RequestMeta): Promise<void> {
  const { userId, email } = await checkResetLink(ctx, token);
  assertAllowedPassword(newPassword, email, "password");
  const passwordHash = await hashPassword(newPassword);
  const now = ctx.clock.now();
  // Every statement on tx (one connection); the first one is the guard: if the link was used or
  // expired meanwhile, nothing else is written.
  const done = await ctx.db
    .$transaction(async (tx) => {
      const consumed = await tx.$executeRaw`
        UPDATE "PasswordResetToken" SET "usedAt" = ${sqlTime(now)}
        WHERE "tokenHash" = ${hashToken(token)} AND "userId" = ${userId} AND "usedAt" IS NULL AND "expiresAt" > ${sqlTime(now)}`;
      if (consumed !== 1) throw LINK_LOST;
      await tx.user.update({ where: { id: userId }, data: { passwordHash, tokenVersion: { increment: 1 } } });
      const revoked = await revokeOtherSessions(tx, userId, null, now, "password_reset");
      const devices = await forgetTrustedDevices(tx, userId);
      await tx.passwordResetToken.deleteMany({ where: { userId, usedAt: null } });
      // a login half-way (password given, code pending) was started with the old password
      await tx.loginChallenge.deleteMany({ where: { userId, consumedAt: null } });
      // wrong guesses at the old password no longer lock the new one out (DESIGN §6 rule 18)
      await tx.$executeRaw`${sqlLiftLoginLock(ctx, Prisma.sql`${email}`)}`;
      await recordAuditEvent(tx, { userId, type: "PASSWORD_RESET", meta, detail: { sessionsRevoked: revoked.count, devicesForgotten: devices.count } });
      await enqueueMail(tx, { userId, to: email, template: "password_reset", data: eventData(meta, now), nowMs: now });
      return true;
    })
    .catch((err) => {
      if (err === LINK_LOST) return false;
      throw err;
    });
  if (!done) await checkResetLink(ctx, token); // throws why (used or expired meanwhile)
}

/** Links past their expiry are worthless: keep a day for forensics, then delete. */
export async function prunePasswordResetTokens(ctx: Pick<Context, "db">, nowMs: number): Promise<number> {
  const { count } = await ctx.db.passwordResetToken.deleteMany({ where: { expiresAt: { lt: new Date(nowMs - 24 * 60 * 60 * 1000) } } });
  return count;
}
