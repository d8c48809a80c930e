// Changing the password of a signed-in user (issue 14): the current password AND, when 2FA is
// on, a second factor — the step-up of every security change (two-factor/step-up.ts), so a wrong
// one counts in the same per-account budget as every other proof. The change bumps tokenVersion,
// ends every other session, forgets every remembered device and voids open reset links, in one
// transaction with its audit event and its security email; the caller re-issues this session.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { hashPassword } from "../auth/password";
import { SESSION_USER_SELECT, toSessionUser, type SessionUser, type SessionUserRow } from "../auth/session";
import { AppError } from "../http/errors";
import { enqueueMail, eventData } from "../mail/outbox";
import { sqlAuditInsert } from "../security/audit";
import type { AuthenticationResponseBody } from "../two-factor/passkey/passkey.schemas";
import { endEverythingElse } from "../sessions/sessions.service";
import { requireStepUp, type Actor } from "../two-factor/step-up";
import { proofName, secondFactorOf } from "../two-factor/second-factor";
import { assertAllowedPassword } from "./password-rule";

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  code?: string;
  backupCode?: string;
  passkey?: AuthenticationResponseBody;
}

/** Returns the user (new tokenVersion) and the session's new authTime (this was a full re-authentication). */
export async function changePassword(ctx: Context, actor: Actor, input: ChangePasswordInput): Promise<{ user: SessionUser; authTimeMs: number }> {
  const { user, meta } = actor;
  const second = secondFactorOf(input);
  if (user.twoFactorEnabled && !second) {
    throw new AppError("VALIDATION_FAILED", { fields: [{ field: "code", message: "enter a code from your authenticator app or a backup code" }] });
  }
  // The new password is checked before any proof is spent: a refused one costs nothing.
  assertAllowedPassword(input.newPassword, user.email, "newPassword");
  await requireStepUp(ctx, actor, "password_change", { password: input.currentPassword, second: user.twoFactorEnabled ? second : undefined }, { passwordAlways: true });
  const passwordHash = await hashPassword(input.newPassword);
  const now = ctx.clock.now();
  const [updated] = await ctx.db.$transaction([
    ctx.db.user.update({ where: { id: user.id }, data: { passwordHash, tokenVersion: { increment: 1 } }, select: SESSION_USER_SELECT }),
    ctx.db.session.updateMany({ where: { id: actor.sessionId, userId: user.id }, data: { authTime: new Date(now) } }),
    ...endEverythingElse(ctx.db, user.id, actor.sessionId, now, "password_changed"),
    ctx.db.passwordResetToken.deleteMany({ where: { userId: user.id, usedAt: null } }),
    ctx.db.$executeRaw`${sqlAuditInsert(Prisma.sql`${user.id}`, "PASSWORD_CHANGED", meta, { proof: second && user.twoFactorEnabled ? `password+${proofName(second)}` : "password" })}`,
    enqueueMail(ctx.db, { userId: user.id, to: user.email, template: "password_changed", data: eventData(meta, now), nowMs: now }),
  ] as Prisma.PrismaPromise<unknown>[]);
  return { user: toSessionUser(updated as SessionUserRow), authTimeMs: now };
}
