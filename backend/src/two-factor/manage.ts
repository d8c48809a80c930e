// Turning 2FA on and off, and replacing backup codes, for a logged-in user. Every change bumps
// tokenVersion (every other session dies at once) and is written in one transaction.
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { recordAuditEvent, type RequestMeta } from "../security/audit";
import { verifyPassword } from "../auth/password";
import { SESSION_USER_SELECT, type SessionUser } from "../auth/session";
import { BACKUP_CODE_COUNT, generateBackupCodes, hashBackupCode } from "./backup-codes/backup-codes";
import { assertNotLocked, failureError, recordCodeFailure } from "./budget";
import { buildOtpauthUrl, generateTotpSecret, verifyTotp } from "./totp/totp";

type Tx = Parameters<Parameters<Context["db"]["$transaction"]>[0]>[0];

export async function startTwoFactorSetup(ctx: Context, user: SessionUser, meta: RequestMeta) {
  if (user.twoFactorEnabled) throw new AppError("TWOFA_ALREADY_ENABLED");
  // The server owns the secret: the client never chooses it, and it is only ever stored encrypted.
  const secret = generateTotpSecret();
  await ctx.db.$transaction([
    ctx.db.user.update({
      where: { id: user.id },
      data: {
        twoFactorPendingSecret: ctx.secretBox.encrypt(secret),
        twoFactorPendingExpiresAt: new Date(ctx.clock.now() + ctx.config.pendingSetupTtlSeconds * 1000),
      },
    }),
    ctx.db.auditEvent.create({ data: { userId: user.id, type: "TWOFA_SETUP_STARTED", ip: meta.ip, userAgent: meta.userAgent } }),
  ]);
  return { secret, otpauthUrl: buildOtpauthUrl(secret, user.email, ctx.config.totp.issuer) };
}

async function replaceBackupCodes(ctx: Context, tx: Tx, userId: string): Promise<string[]> {
  const codes = generateBackupCodes();
  await tx.backupCode.deleteMany({ where: { userId } });
  await tx.backupCode.createMany({ data: codes.map((code) => ({ userId, codeHash: hashBackupCode(ctx.config.backupCodeKey, code) })) });
  return codes;
}

/** Loads the 2FA state and refuses at once while the account is locked. */
async function loadTwoFactorState(ctx: Context, userId: string) {
  const state = await ctx.db.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      twoFactorEnabled: true,
      twoFactorSecret: true,
      twoFactorPendingSecret: true,
      twoFactorPendingExpiresAt: true,
      twoFactorLastStep: true,
      twoFactorLockedUntil: true,
    },
  });
  assertNotLocked(state.twoFactorLockedUntil, ctx.clock.now());
  return state;
}

export async function enableTwoFactor(ctx: Context, user: SessionUser, input: { token: string; secret?: string }, meta: RequestMeta) {
  const now = ctx.clock.now();
  const state = await loadTwoFactorState(ctx, user.id);
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
    throw failureError(await recordCodeFailure(ctx, { userId: user.id, type: "TWOFA_VERIFY_FAILURE", meta, detail: { during: "enable" } }), now);
  }
  return ctx.db.$transaction(async (tx) => {
    // Guarded on the pending value we verified: a concurrent setup or enable makes this match
    // nothing, and nothing is half-written.
    const updated = await tx.user.updateMany({
      where: { id: user.id, twoFactorEnabled: false, twoFactorPendingSecret: state.twoFactorPendingSecret },
      data: {
        twoFactorEnabled: true,
        twoFactorSecret: ctx.secretBox.encrypt(pending),
        twoFactorPendingSecret: null,
        twoFactorPendingExpiresAt: null,
        twoFactorLastStep: accepted.step,
        twoFactorFailedAttempts: 0,
        twoFactorFailureWindowAt: null,
        twoFactorLockedUntil: null,
        tokenVersion: { increment: 1 },
      },
    });
    if (updated.count !== 1) throw new AppError("NO_PENDING_SETUP");
    const backupCodes = await replaceBackupCodes(ctx, tx, user.id);
    await recordAuditEvent(tx, { userId: user.id, type: "TWOFA_ENABLED", meta });
    const fresh = await tx.user.findUniqueOrThrow({ where: { id: user.id }, select: SESSION_USER_SELECT });
    return { user: fresh, backupCodes };
  });
}

/**
 * Checks a current TOTP code of an enabled account and spends it (its step becomes the last
 * accepted one, atomically), counting failures against the account budget.
 */
async function spendCurrentCode(ctx: Context, tx: Tx, userId: string, code: string, meta: RequestMeta, purpose: string) {
  const now = ctx.clock.now();
  const state = await loadTwoFactorState(ctx, userId);
  if (!state.twoFactorEnabled || !state.twoFactorSecret) throw new AppError("TWOFA_NOT_ENABLED");
  const accepted = verifyTotp(ctx.secretBox.decrypt(state.twoFactorSecret), code, now, ctx.config.totp.window);
  const replay = accepted && state.twoFactorLastStep !== null && accepted.step <= state.twoFactorLastStep;
  if (accepted && !replay) {
    const spent = await tx.user.updateMany({
      where: { id: userId, twoFactorEnabled: true, OR: [{ twoFactorLastStep: null }, { twoFactorLastStep: { lt: accepted.step } }] },
      data: { twoFactorLastStep: accepted.step, twoFactorFailedAttempts: 0, twoFactorFailureWindowAt: null },
    });
    if (spent.count === 1) return;
  }
  const type = accepted ? "TOTP_REPLAY" : "TWOFA_VERIFY_FAILURE";
  // Recorded outside the caller's transaction (which is about to roll back).
  throw failureError(await recordCodeFailure(ctx, { userId, type, meta, detail: { during: purpose } }), now, accepted ? "replay" : undefined);
}

export async function disableTwoFactor(ctx: Context, user: SessionUser, proof: { password: string } | { code: string }, meta: RequestMeta) {
  if (!user.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  if ("password" in proof) {
    const row = await ctx.db.user.findUniqueOrThrow({ where: { id: user.id }, select: { passwordHash: true } });
    if (!(await verifyPassword(row.passwordHash, proof.password))) throw new AppError("INVALID_PASSWORD");
  }
  return ctx.db.$transaction(async (tx) => {
    if ("code" in proof) await spendCurrentCode(ctx, tx, user.id, proof.code, meta, "disable");
    const updated = await tx.user.update({
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
    });
    await tx.backupCode.deleteMany({ where: { userId: user.id } });
    // Open login challenges die with the secret they were meant for.
    await tx.loginChallenge.deleteMany({ where: { userId: user.id } });
    await recordAuditEvent(tx, { userId: user.id, type: "TWOFA_DISABLED", meta, detail: { proof: "password" in proof ? "password" : "code" } });
    return updated;
  });
}

export async function regenerateBackupCodes(ctx: Context, user: SessionUser, code: string, meta: RequestMeta) {
  if (!user.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  return ctx.db.$transaction(async (tx) => {
    await spendCurrentCode(ctx, tx, user.id, code, meta, "backup_codes");
    const backupCodes = await replaceBackupCodes(ctx, tx, user.id);
    const updated = await tx.user.update({ where: { id: user.id }, data: { tokenVersion: { increment: 1 } }, select: SESSION_USER_SELECT });
    await recordAuditEvent(tx, { userId: user.id, type: "BACKUP_CODES_REGENERATED", meta });
    return { user: updated, backupCodes };
  });
}

export async function getTwoFactorStatus(ctx: Context, user: SessionUser) {
  const backupCodesRemaining = user.twoFactorEnabled ? await ctx.db.backupCode.count({ where: { userId: user.id, usedAt: null } }) : 0;
  return { enabled: user.twoFactorEnabled, backupCodesRemaining, backupCodesTotal: user.twoFactorEnabled ? BACKUP_CODE_COUNT : 0 };
}
