// Admin recovery (issue 14): list users, reset a user's 2FA with a written reason, unlock an
// account locked by wrong codes. Every change is audited on the user's record naming the admin,
// and emailed to the user, in the transaction (or statement) that makes it.
import { Prisma, type Role } from "@prisma/client";
import type { Context } from "../context";
import type { SessionUser } from "../auth/session";
import { sqlTime } from "../db/sql";
import { AppError } from "../http/errors";
import { enqueueMail, eventData, sqlEnqueueMail } from "../mail/outbox";
import { recordAuditEvent, sqlAuditInsert, type RequestMeta } from "../security/audit";
import { sqlLiftLoginLock, sqlLoginLockedUntil } from "../security/login-budget";
import { revokeOtherSessions } from "../sessions/sessions";
import { forgetTrustedDevices } from "../sessions/trusted-devices";
import { newEnrolmentLink, storeEnrolmentLink } from "../two-factor/enrolment";
import { anyFactor, FACTOR_SELECT, factorsOf, lockUserForFactorChange, removeEveryFactorCounted, sqlTwoFactorOn } from "../two-factor/factors";

export interface AdminActor {
  admin: SessionUser;
  meta: RequestMeta;
}

export interface AdminUserRow {
  id: string;
  email: string;
  role: Role;
  createdAt: Date;
  twoFactorEnabled: boolean;
  /** an admin reset it: setup is required at the next sign-in */
  twoFactorSetupRequired: boolean;
  backupCodesRemaining: number;
  rememberedDevices: number;
  /** the newest session's start (a login, or the registration) */
  lastSignInAt: Date | null;
  /** code entry locked by wrong codes until then (null: not locked) */
  lockedUntil: Date | null;
  /** password sign-in from browsers without a device cookie paused by wrong passwords until then (null: not locked) */
  loginLockedUntil: Date | null;
}

/** LIKE pattern for "contains", with the user's %, _ and \ taken literally. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of users ordered by email; `query` matches part of the email (case-insensitive: emails
 * are stored lower-cased). `after` is the last email of the previous page (keyset pagination).
 */
export async function listUsers(ctx: Context, page: { query?: string; limit: number; after?: string }) {
  const now = ctx.clock.now();
  const query = page.query?.trim().toLowerCase() ?? "";
  const rows = await ctx.db.$queryRaw<(Omit<AdminUserRow, "role"> & { role: string })[]>`
    SELECT u."id", u."email", u."role"::text AS "role", u."createdAt", ${sqlTwoFactorOn(Prisma.sql`u."id"`)} AS "twoFactorEnabled", u."twoFactorSetupRequired",
      (SELECT count(*)::int FROM "BackupCode" b WHERE b."userId" = u."id" AND b."usedAt" IS NULL) AS "backupCodesRemaining",
      (SELECT count(*)::int FROM "TrustedDevice" d WHERE d."userId" = u."id" AND d."expiresAt" > ${sqlTime(now)}) AS "rememberedDevices",
      (SELECT max(s."createdAt") FROM "Session" s WHERE s."userId" = u."id") AS "lastSignInAt",
      CASE WHEN u."twoFactorLockedUntil" > ${sqlTime(now)} THEN u."twoFactorLockedUntil" END AS "lockedUntil",
      ${sqlLoginLockedUntil(ctx, Prisma.sql`u."email"`)} AS "loginLockedUntil"
    FROM "User" u
    WHERE (${query} = '' OR u."email" LIKE ${containsPattern(query)})
      AND (${page.after ?? null}::text IS NULL OR u."email" > ${page.after ?? null})
    ORDER BY u."email"
    LIMIT ${page.limit + 1}`;
  const users = rows.slice(0, page.limit).map((r) => ({ ...r, role: r.role as Role, locked: r.lockedUntil !== null, loginLocked: r.loginLockedUntil !== null }));
  return { users, nextCursor: rows.length > page.limit ? users[users.length - 1].email : null };
}

async function targetOf(ctx: Context, actor: AdminActor, userId: string) {
  if (userId === actor.admin.id) {
    // recovery is for someone else: your own 2FA and budget are managed (and proven) on your profile
    throw new AppError("VALIDATION_FAILED", { fields: [{ field: "id", message: "is your own account: use your profile page" }] });
  }
  const target = await ctx.db.user.findUnique({ where: { id: userId }, select: { id: true, email: true, ...FACTOR_SELECT } });
  if (!target) throw new AppError("NOT_FOUND");
  return { id: target.id, email: target.email, twoFactorEnabled: anyFactor(factorsOf(target)) };
}

const adminDetail = (actor: AdminActor) => ({ admin: { id: actor.admin.id, email: actor.admin.email } });

/**
 * Turns the user's 2FA off (every factor — TOTP and passkeys — backup codes, open login challenges
 * gone), ends every session, forgets every remembered device, and makes 2FA setup required at the
 * next sign-in; audited with the admin and the reason, and emailed. Guarded on 2FA being on: the
 * user row is locked first (two-factor/factors.ts protocol) and the reset rolls back when it
 * deleted no factor, so two admins clicking at once reset it once.
 */
export async function resetUserTwoFactor(ctx: Context, actor: AdminActor, userId: string, reason: string) {
  const target = await targetOf(ctx, actor, userId);
  if (!target.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED", {}, "Two-factor authentication is not on for this user");
  const now = ctx.clock.now();
  const done = await ctx.db.$transaction(async (tx) => {
    const locked = await lockUserForFactorChange(
      tx,
      userId,
      Prisma.sql`"twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "twoFactorLockedUntil" = NULL, "twoFactorSetupRequired" = true, "enrolmentLinkSentAt" = NULL,`,
    );
    if (!locked) throw NOTHING_TO_RESET;
    const removed = await removeEveryFactorCounted(tx, userId);
    if (removed.totp + removed.passkeys === 0) throw NOTHING_TO_RESET; // rolls back the lock's update too
    const sessions = await revokeOtherSessions(tx, userId, null, now, "admin_twofa_reset");
    const devices = await forgetTrustedDevices(tx, userId);
    await recordAuditEvent(tx, {
      userId,
      type: "ADMIN_TWOFA_RESET",
      meta: actor.meta,
      detail: { ...adminDetail(actor), reason, sessionsRevoked: sessions.count, devicesForgotten: devices.count },
    });
    // rule 20: the new factor is enrolled only through this link (and the password)
    const link = newEnrolmentLink(ctx, now);
    await storeEnrolmentLink(tx, userId, link, now);
    const data = { ...eventData(actor.meta, now), reason, linkExpiresAt: link.expiresAt, sealed: link.sealed };
    await enqueueMail(tx, { userId, to: target.email, template: "admin_twofa_reset", data, nowMs: now });
    return true;
  }).catch((err) => {
    if (err === NOTHING_TO_RESET) return false;
    throw err;
  });
  if (!done) throw new AppError("TWOFA_NOT_ENABLED", {}, "Two-factor authentication is not on for this user");
}

const NOTHING_TO_RESET = Symbol("nothing-to-reset");

/**
 * Lifts the locks on the account: code entry (wrong codes) and password sign-in (wrong passwords,
 * security/login-budget.ts), clearing their counts; audited (saying which) and emailed, in one
 * statement. 409 NOT_LOCKED when neither was locked.
 */
export async function unlockUser(ctx: Context, actor: AdminActor, userId: string) {
  await targetOf(ctx, actor, userId);
  const now = ctx.clock.now();
  const lifted = Prisma.sql`(EXISTS (SELECT 1 FROM u) OR EXISTS (SELECT 1 FROM l WHERE l."locked"))`;
  const which = Prisma.sql`jsonb_build_object('codeEntry', EXISTS (SELECT 1 FROM u), 'passwordLogin', EXISTS (SELECT 1 FROM l WHERE l."locked"))`;
  const rows = await ctx.db.$queryRaw<{ codeEntry: boolean; passwordLogin: boolean }[]>`
    WITH t AS (SELECT "id", "email" FROM "User" WHERE "id" = ${userId}),
    u AS (
      UPDATE "User" SET "twoFactorLockedUntil" = NULL, "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "updatedAt" = now()
      WHERE "id" = ${userId} AND "twoFactorLockedUntil" > ${sqlTime(now)}
      RETURNING "id"
    ),
    l AS (${sqlLiftLoginLock(ctx, Prisma.sql`(SELECT "email" FROM t)`)}),
    a AS (${sqlAuditInsert(Prisma.sql`(SELECT "id" FROM t)`, "ACCOUNT_UNLOCKED", actor.meta, adminDetail(actor), which)} WHERE ${lifted}),
    m AS (${sqlEnqueueMail(Prisma.sql`(SELECT "id" FROM t)`, "account_unlocked", eventData(actor.meta, now), now, { when: lifted, extra: which })})
    SELECT EXISTS (SELECT 1 FROM u) AS "codeEntry", EXISTS (SELECT 1 FROM l WHERE l."locked") AS "passwordLogin"`;
  if (!rows[0]?.codeEntry && !rows[0]?.passwordLogin) throw new AppError("NOT_LOCKED");
}
