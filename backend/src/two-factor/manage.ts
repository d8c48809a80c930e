// 2FA as a whole, for a signed-in user: turning it off (every factor), replacing backup codes, and
// the status. Each factor's own changes live in its folder (totp/totp-credential.ts, passkey/).
// Proofs go through ./step-up.ts. Every change bumps tokenVersion and ends every other session
// and every remembered device in the same transaction; the caller re-issues its own session.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { newAuditId } from "../security/audit";
import { requireStepUp, type Actor, type StepUpInput } from "./step-up";
import { proofName } from "./second-factor";
import { loadSessionUser, type SessionUser } from "../auth/session";
import { endEverythingElse } from "../sessions/sessions.service";
import { enqueueMail, eventData } from "../mail/outbox";
import { BACKUP_CODE_COUNT, generateBackupCodes, hashBackupCode } from "./backup-codes/backup-codes";
import { FACTOR_SELECT, factorsOf, lockUserForFactorChange, removeEveryFactorCounted } from "./factors";

export type { Actor } from "./step-up";

/**
 * Both factors (OWASP ASVS 7.5.1): the password AND a current code, an unused backup code (or a
 * passkey). Turns 2FA off entirely: TOTP, every passkey, backup codes, open login challenges.
 */
export async function disableTwoFactor(ctx: Context, actor: Actor, proof: StepUpInput) {
  const { user, meta } = actor;
  if (!user.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  await requireStepUp(ctx, actor, "disable", proof, { passwordAlways: true });
  const now = ctx.clock.now();
  // Every statement on tx (one connection). The User row is locked first (factors.ts protocol: a
  // passkey being added at this moment either commits before and is deleted here, or waits and
  // finds 2FA off) and only while this session is still alive: a change that ended it while we
  // waited for the lock wins, and this one rolls back (401).
  return ctx.db.$transaction(async (tx) => {
    if (!(await lockUserForFactorChange(tx, user.id, Prisma.empty, { tokenVersion: user.tokenVersion, sessionId: actor.sessionId }))) {
      throw new AppError("UNAUTHENTICATED");
    }
    await removeEveryFactorCounted(tx, user.id);
    await enqueueMail(tx, { userId: user.id, to: user.email, template: "twofa_disabled", data: eventData(meta, now), nowMs: now });
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, "twofa_disabled")) await op;
    await tx.auditEvent.create({ data: { id: newAuditId(), userId: user.id, type: "TWOFA_DISABLED", ip: meta.ip, userAgent: meta.userAgent, detail: { proof: `password+${proofName(proof.second!)}` } } });
    return loadSessionUser(tx, user.id);
  });
}

/** DESIGN §6 rule 7: the password AND a second factor, in this request. */
export async function regenerateBackupCodes(ctx: Context, actor: Actor, proof: StepUpInput) {
  const { user, meta } = actor;
  if (!user.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  const { authTimeMs } = await requireStepUp(ctx, actor, "backup_codes", proof);
  const codes = generateBackupCodes();
  const rows = codes.map((code) => ({ userId: user.id, codeHash: hashBackupCode(ctx.config.backupCodeKey, code) }));
  const now = ctx.clock.now();
  // Same protocol as the factor changes: the user's row first, only while this session is alive
  // (two sessions regenerating at once: the second one was ended by the first and gets 401).
  return ctx.db.$transaction(async (tx) => {
    if (!(await lockUserForFactorChange(tx, user.id, Prisma.empty, { tokenVersion: user.tokenVersion, sessionId: actor.sessionId }))) {
      throw new AppError("UNAUTHENTICATED");
    }
    await tx.backupCode.deleteMany({ where: { userId: user.id } });
    await tx.backupCode.createMany({ data: rows });
    await enqueueMail(tx, { userId: user.id, to: user.email, template: "backup_codes_regenerated", data: eventData(meta, now), nowMs: now });
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, "backup_codes_regenerated")) await op;
    // detail.proof: a code proof sets TotpCredential.lastStep (code-refusal.ts looks for it on a replay)
    await tx.auditEvent.create({ data: { id: newAuditId(), userId: user.id, type: "BACKUP_CODES_REGENERATED", ip: meta.ip, userAgent: meta.userAgent, detail: { proof: `password+${proofName(proof.second!)}` } } });
    return { user: await loadSessionUser(tx, user.id), backupCodes: codes, authTimeMs };
  });
}

/** GET /auth/2fa/status: {enabled, totp, passkeys, backupCodesRemaining, backupCodesTotal}. */
export async function getTwoFactorStatus(ctx: Context, user: SessionUser) {
  const row = await ctx.db.user.findUniqueOrThrow({
    where: { id: user.id },
    select: { ...FACTOR_SELECT, backupCodes: { where: { usedAt: null }, select: { id: true } } },
  });
  const { totp, passkeys } = factorsOf(row);
  const enabled = totp || passkeys > 0;
  return {
    enabled,
    totp,
    passkeys,
    backupCodesRemaining: enabled ? row.backupCodes.length : 0,
    backupCodesTotal: enabled ? BACKUP_CODE_COUNT : 0,
  };
}
