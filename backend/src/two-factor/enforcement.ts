// Who must use 2FA, and from when (issue 14; DESIGN §6.9 with a grace period):
//  - a user whose role is in TWOFA_REQUIRED_ROLES (default ADMIN) may work without 2FA for
//    TWOFA_GRACE_HOURS (default 48) from their first authenticated request under the rule
//    (User.twoFactorRequiredSince, written once); after that every route but the 2FA setup
//    answers 403 TWOFA_SETUP_REQUIRED. The deadline is computed from the setting at each request,
//    so tightening the setting shortens every existing deadline (and 0 blocks at once);
//  - a user whose 2FA an administrator reset must set it up before anything else (no grace).
// The SPA shows the time left (GET /auth/me `twoFactorRequirement`).
import type { Config } from "../config";
import type { Db } from "../db/prisma";
import { sqlTime } from "../db/sql";
import type { SessionUser } from "../auth/session";

/** What the session query reads about the user's 2FA obligations. */
export interface TwoFactorObligation {
  setupRequired: boolean;
  requiredSince: Date | null;
}

export interface TwoFactorRequirement {
  reason: "role" | "admin_reset";
  /** when only the setup will work (null: already, admin reset) */
  deadline: Date | null;
  /** only the 2FA setup works now */
  blocked: boolean;
}

export const roleRequiresTwoFactor = (config: Pick<Config, "twoFactorEnforcement">, role: string) =>
  (config.twoFactorEnforcement.requiredRoles as string[]).includes(role);

/** null when nothing is asked of this user (2FA on, or not required). */
export function twoFactorRequirement(
  config: Pick<Config, "twoFactorEnforcement">,
  user: Pick<SessionUser, "role" | "twoFactorEnabled">,
  obligation: TwoFactorObligation,
  nowMs: number,
): TwoFactorRequirement | null {
  if (user.twoFactorEnabled) return null;
  if (obligation.setupRequired) return { reason: "admin_reset", deadline: null, blocked: true };
  if (!roleRequiresTwoFactor(config, user.role)) return null;
  const since = obligation.requiredSince?.getTime() ?? nowMs;
  const deadline = since + config.twoFactorEnforcement.graceMs;
  return { reason: "role", deadline: new Date(deadline), blocked: deadline <= nowMs };
}

/** The grace starts: written once per user (concurrent first requests agree on the first value). */
export async function startTwoFactorGrace(db: Pick<Db, "$queryRaw">, userId: string, nowMs: number): Promise<Date> {
  const rows = await db.$queryRaw<{ since: Date }[]>`
    WITH s AS (UPDATE "User" SET "twoFactorRequiredSince" = ${sqlTime(nowMs)} WHERE "id" = ${userId} AND "twoFactorRequiredSince" IS NULL RETURNING "twoFactorRequiredSince")
    SELECT "twoFactorRequiredSince" AS since FROM s
    UNION ALL SELECT "twoFactorRequiredSince" FROM "User" WHERE "id" = ${userId} AND NOT EXISTS (SELECT 1 FROM s)`;
  return rows[0]?.since ?? new Date(nowMs);
}
