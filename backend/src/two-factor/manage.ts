// Turning 2FA on and off, and replacing backup codes, for a signed-in user. Proofs go through
// security/proof.ts. Every change bumps tokenVersion and ends every other session and every
// remembered device in the same transaction; the caller re-issues its own session.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { newAuditId, recordAuditEvent, sqlAuditInsert, type RequestMeta } from "../security/audit";
import { driftRefusal, refusalDetail } from "../security/code-refusal";
import { sqlTime } from "../db/sql";
import { assertNotLocked, failureError, recordProofFailure, sqlNotLocked } from "../security/budget";
import { spendProofs, type Proof } from "../security/proof";
import { SESSION_USER_SELECT, type SessionUser } from "../auth/session";
import { endEverythingElse } from "../sessions/sessions.service";
import { enqueueMail, eventData } from "../mail/outbox";
import { BACKUP_CODE_COUNT, generateBackupCodes, hashBackupCode } from "./backup-codes/backup-codes";
import { buildOtpauthUrl, generateTotpSecret, verifyTotp } from "./totp/totp";

/** Who is making the change: the user and the session that survives it. */
export interface Actor {
  user: SessionUser;
  sessionId: string;
  meta: RequestMeta;
}

/**
 * Issues the pending secret, or — while one is still valid — the SAME one again (a reload during
 * setup must not break what the phone already scanned), with its expiry moved to TTL from now.
 * One statement: of two concurrent setups (two tabs) the second waits for the first's row lock
 * and then keeps the secret it stored. A repeat is audited as TWOFA_SETUP_STARTED {resumed: true}.
 */
export async function startTwoFactorSetup(ctx: Context, user: SessionUser, meta: RequestMeta) {
  if (user.twoFactorEnabled) throw new AppError("TWOFA_ALREADY_ENABLED");
  const now = ctx.clock.now();
  // The server owns the secret: the client never chooses it, and it is only ever stored encrypted.
  // `fresh` is unique (random IV), so the returned value tells whether it was stored or kept.
  const fresh = ctx.secretBox.encrypt(generateTotpSecret());
  const idOf = Prisma.sql`(SELECT "id" FROM u)`;
  const rows = await ctx.db.$queryRaw<{ pending: string }[]>`
    WITH u AS (
      UPDATE "User" SET
        "twoFactorPendingSecret" = CASE
          WHEN "twoFactorPendingSecret" IS NOT NULL AND "twoFactorPendingExpiresAt" > ${sqlTime(now)} THEN "twoFactorPendingSecret"
          ELSE ${fresh} END,
        "twoFactorPendingExpiresAt" = ${sqlTime(now + ctx.config.pendingSetupTtlSeconds * 1000)},
        "updatedAt" = now()
      WHERE "id" = ${user.id} AND NOT "twoFactorEnabled"
      RETURNING "id", "twoFactorPendingSecret" AS pending
    ),
    a1 AS (${sqlAuditInsert(idOf, "TWOFA_SETUP_STARTED", meta)} WHERE EXISTS (SELECT 1 FROM u WHERE pending = ${fresh})),
    a2 AS (${sqlAuditInsert(idOf, "TWOFA_SETUP_STARTED", meta, { resumed: true })} WHERE EXISTS (SELECT 1 FROM u WHERE pending <> ${fresh}))
    SELECT pending FROM u`;
  if (!rows[0]) throw new AppError("TWOFA_ALREADY_ENABLED");
  const secret = ctx.secretBox.decrypt(rows[0].pending);
  return { secret, otpauthUrl: buildOtpauthUrl(secret, user.email, ctx.config.totp.issuer) };
}

function newBackupCodeRows(ctx: Context, userId: string) {
  const codes = generateBackupCodes();
  return { codes, rows: codes.map((code) => ({ userId, codeHash: hashBackupCode(ctx.config.backupCodeKey, code) })) };
}

export async function enableTwoFactor(ctx: Context, actor: Actor, input: { token: string; secret?: string }) {
  const { user, meta } = actor;
  const now = ctx.clock.now();
  const state = await ctx.db.user.findUniqueOrThrow({
    where: { id: user.id },
    select: { twoFactorEnabled: true, twoFactorPendingSecret: true, twoFactorPendingExpiresAt: true, twoFactorLockedUntil: true },
  });
  assertNotLocked(state.twoFactorLockedUntil, now);
  if (state.twoFactorEnabled) throw new AppError("TWOFA_ALREADY_ENABLED");
  if (!state.twoFactorPendingSecret || !state.twoFactorPendingExpiresAt || state.twoFactorPendingExpiresAt.getTime() <= now) {
    throw new AppError("NO_PENDING_SETUP");
  }
  const pending = ctx.secretBox.decrypt(state.twoFactorPendingSecret);
  // The recipe let the client send the secret; here it may only confirm the one we issued.
  if (input.secret !== undefined && input.secret.replace(/\s/g, "").toUpperCase() !== pending) {
    throw new AppError("VALIDATION_FAILED", { fields: [{ field: "secret", message: "does not match the pending setup" }] });
  }
  const accepted = verifyTotp(pending, input.token, now, ctx.config.totp.window);
  if (!accepted) {
    // A phone whose clock is off is most often found here, at the first code it ever shows.
    const refusal = driftRefusal(pending, input.token, now, ctx.config.totp.window);
    const detail = { during: "enable", method: "totp", ...refusalDetail(refusal) };
    const result = await recordProofFailure(ctx, { userId: user.id, type: "TWOFA_VERIFY_FAILURE", meta, detail });
    throw failureError(result, now, refusal);
  }
  const { codes, rows } = newBackupCodeRows(ctx, user.id);
  // Every statement on tx (one connection). The first one is guarded on the pending value we
  // verified AND on the lock: a concurrent setup, enable or budget-spending guess makes it
  // match nothing, and then nothing else is written.
  return ctx.db.$transaction(async (tx) => {
    const enabled = await tx.$executeRaw`
      UPDATE "User" SET "twoFactorEnabled" = true, "twoFactorSecret" = ${ctx.secretBox.encrypt(pending)},
        "twoFactorPendingSecret" = NULL, "twoFactorPendingExpiresAt" = NULL, "twoFactorLastStep" = ${accepted.step},
        "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "twoFactorLockedUntil" = NULL,
        "tokenVersion" = "tokenVersion" + 1, "twoFactorSetupRequired" = false, "updatedAt" = now()
      WHERE "id" = ${user.id} AND NOT "twoFactorEnabled" AND "twoFactorPendingSecret" = ${state.twoFactorPendingSecret}
        AND ${sqlNotLocked(now)}`;
    if (enabled !== 1) {
      const locked = await tx.user.findUnique({ where: { id: user.id }, select: { twoFactorLockedUntil: true } });
      assertNotLocked(locked?.twoFactorLockedUntil ?? null, now);
      throw new AppError("NO_PENDING_SETUP");
    }
    await tx.backupCode.deleteMany({ where: { userId: user.id } });
    await tx.backupCode.createMany({ data: rows });
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, "twofa_enabled")) await op;
    await recordAuditEvent(tx, { userId: user.id, type: "TWOFA_ENABLED", meta });
    await enqueueMail(tx, { userId: user.id, to: user.email, template: "twofa_enabled", data: eventData(meta, now), nowMs: now });
    const fresh = await tx.user.findUniqueOrThrow({ where: { id: user.id }, select: SESSION_USER_SELECT });
    return { user: fresh, backupCodes: codes };
  });
}

/** Both factors (OWASP ASVS 7.5.1): the password AND a current code or an unused backup code. */
export async function disableTwoFactor(ctx: Context, actor: Actor, proof: { password: string } & ({ code: string } | { backupCode: string })) {
  const { user, meta } = actor;
  if (!user.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  const second: Proof = "code" in proof ? { code: proof.code } : { backupCode: proof.backupCode };
  await spendProofs(ctx, { userId: user.id, meta, purpose: "disable" }, [{ password: proof.password }, second]);
  const now = ctx.clock.now();
  const [updated] = await ctx.db.$transaction([
    ctx.db.user.update({
      where: { id: user.id },
      data: {
        twoFactorEnabled: false,
        twoFactorSecret: null,
        twoFactorPendingSecret: null,
        twoFactorPendingExpiresAt: null,
        twoFactorLastStep: null,
        tokenVersion: { increment: 1 },
      },
      select: SESSION_USER_SELECT,
    }),
    ctx.db.backupCode.deleteMany({ where: { userId: user.id } }),
    // Open login challenges die with the secret they were meant for.
    ctx.db.loginChallenge.deleteMany({ where: { userId: user.id } }),
    enqueueMail(ctx.db, { userId: user.id, to: user.email, template: "twofa_disabled", data: eventData(meta, now), nowMs: now }),
    ...endEverythingElse(ctx.db, user.id, actor.sessionId, now, "twofa_disabled"),
    ctx.db.auditEvent.create({ data: { id: newAuditId(), userId: user.id, type: "TWOFA_DISABLED", ip: meta.ip, userAgent: meta.userAgent, detail: { proof: "code" in proof ? "password+code" : "password+backup_code" } } }),
  ]);
  return updated;
}

export async function regenerateBackupCodes(ctx: Context, actor: Actor, proof: { code: string } | { backupCode: string }) {
  const { user, meta } = actor;
  if (!user.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  await spendProofs(ctx, { userId: user.id, meta, purpose: "backup_codes" }, [proof]);
  const { codes, rows } = newBackupCodeRows(ctx, user.id);
  const [, , updated] = await ctx.db.$transaction([
    ctx.db.backupCode.deleteMany({ where: { userId: user.id } }),
    ctx.db.backupCode.createMany({ data: rows }),
    ctx.db.user.update({ where: { id: user.id }, data: { tokenVersion: { increment: 1 } }, select: SESSION_USER_SELECT }),
    enqueueMail(ctx.db, { userId: user.id, to: user.email, template: "backup_codes_regenerated", data: eventData(meta, ctx.clock.now()), nowMs: ctx.clock.now() }),
    ...endEverythingElse(ctx.db, user.id, actor.sessionId, ctx.clock.now(), "backup_codes_regenerated"),
    // detail.proof: a code proof sets twoFactorLastStep (code-refusal.ts looks for it on a replay)
    ctx.db.auditEvent.create({ data: { id: newAuditId(), userId: user.id, type: "BACKUP_CODES_REGENERATED", ip: meta.ip, userAgent: meta.userAgent, detail: { proof: "code" in proof ? "code" : "backup_code" } } }),
  ] as Prisma.PrismaPromise<unknown>[]);
  return { user: updated as SessionUser, backupCodes: codes };
}

export async function getTwoFactorStatus(ctx: Context, user: SessionUser) {
  const backupCodesRemaining = user.twoFactorEnabled ? await ctx.db.backupCode.count({ where: { userId: user.id, usedAt: null } }) : 0;
  return { enabled: user.twoFactorEnabled, backupCodesRemaining, backupCodesTotal: user.twoFactorEnabled ? BACKUP_CODE_COUNT : 0 };
}
