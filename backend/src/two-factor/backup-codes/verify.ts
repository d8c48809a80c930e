// The backup-code factor ({backupCode}), at the login's code step and as a step-up proof. The code
// is burned by the caller's statement itself (usedAt IS NULL re-checked under the row lock), before
// the challenge is consumed (login) or the failure window reset (step-up): of two requests racing
// with one code exactly one passes, and at login the other's challenge survives for another try.
// The "backup code used" audit row and email (with how many are left) are written by the same
// statement — except for a step-up whose change replaces every backup code anyway (its own email
// says so).
import { Prisma } from "@prisma/client";
import { eventData, sqlEnqueueMail } from "../../mail/outbox";
import { sqlAuditInsert } from "../../security/audit";
import type { Factor, ProofSite, Refusal } from "../factor";
import { backupCodeHash, sqlBackupCodesLeftAfterBurn, sqlBurnBackupCode } from "./backup-codes";

/** Step-ups whose change replaces (or deletes) every backup code. */
const REPLACES_BACKUP_CODES = new Set(["disable", "backup_codes"]);
const mailsUse = (site: ProofSite) => site.kind === "login" || !REPLACES_BACKUP_CODES.has(site.purpose);

export const backupCodeFactor: Factor<{ backupCode: string }> = {
  async verify({ ctx, user, site, proof, meta, nowMs }) {
    const { userId } = user;
    const codeHash = backupCodeHash(ctx.config.backupCodeKey, proof.backupCode);
    const wrong = async (): Promise<Refusal> => {
      // A spent code of this account says so (DESIGN §5 backup_code_used); the failure path only.
      const spent = codeHash ? await ctx.db.backupCode.count({ where: { userId, codeHash, usedAt: { not: null } } }) : 0;
      return { type: "TWOFA_VERIFY_FAILURE", detail: { method: "backup_code" }, refusal: spent > 0 ? { reason: "backup_code_used" } : undefined };
    };
    if (!codeHash) return { refused: await wrong() };
    const auditDetail = site.kind === "step_up" ? { during: site.purpose } : undefined;
    // No read first: whether the code exists and is unused is decided by the burn itself.
    return {
      accepted: {
        method: "backup_code",
        spend: (when) => sqlBurnBackupCode({ userId, codeHash, nowMs, when }),
        alsoWrite: (succeeded) => [
          Prisma.sql`bc_audit AS (${sqlAuditInsert(Prisma.sql`${userId}`, "BACKUP_CODE_USED", meta, auditDetail)} WHERE ${succeeded})`,
          ...(mailsUse(site)
            ? [
                Prisma.sql`bc_mail AS (${sqlEnqueueMail(Prisma.sql`${userId}`, "backup_code_used", eventData(meta, nowMs), nowMs, {
                  when: succeeded,
                  extra: Prisma.sql`jsonb_build_object('remaining', ${sqlBackupCodesLeftAfterBurn(userId)})`,
                })})`,
              ]
            : []),
        ],
        lostRace: wrong,
      },
    };
  },
};
