// The backup-code verifier of the login's code step ({backupCode}). The code is burned by the
// consume statement itself (usedAt IS NULL re-checked under the row lock), before the challenge
// is consumed and only while it is live: of two logins racing with one code exactly one gets a
// session, and the other's challenge survives for another try. The "backup code used" audit row
// and email (with how many are left) are written by the same statement.
import { Prisma } from "@prisma/client";
import { eventData, sqlEnqueueMail } from "../../mail/outbox";
import { sqlAuditInsert } from "../../security/audit";
import type { FactorVerifier, Refusal } from "../factor-verifier";
import { backupCodeHash, sqlBackupCodesLeftAfterBurn, sqlBurnBackupCode } from "./backup-codes";

export const backupCodeVerifier: FactorVerifier<{ backupCode: string }> = {
  async verify({ ctx, challenge, proof, meta, nowMs }) {
    const { userId } = challenge;
    const codeHash = backupCodeHash(ctx.config.backupCodeKey, proof.backupCode);
    const wrong = async (): Promise<Refusal> => {
      // A spent code of this account says so (DESIGN §5 backup_code_used); the failure path only.
      const spent = codeHash ? await ctx.db.backupCode.count({ where: { userId, codeHash, usedAt: { not: null } } }) : 0;
      return { type: "TWOFA_VERIFY_FAILURE", detail: { method: "backup_code" }, refusal: spent > 0 ? { reason: "backup_code_used" } : undefined };
    };
    if (!codeHash) return { refused: await wrong() };
    // No read first: whether the code exists and is unused is decided by the burn itself.
    return {
      accepted: {
        method: "backup_code",
        spend: (when) => sqlBurnBackupCode({ userId, codeHash, nowMs, when }),
        alsoWrite: (succeeded) => [
          Prisma.sql`bc_audit AS (${sqlAuditInsert(Prisma.sql`${userId}`, "BACKUP_CODE_USED", meta)} WHERE ${succeeded})`,
          Prisma.sql`bc_mail AS (${sqlEnqueueMail(Prisma.sql`${userId}`, "backup_code_used", eventData(meta, nowMs), nowMs, {
            when: succeeded,
            extra: Prisma.sql`jsonb_build_object('remaining', ${sqlBackupCodesLeftAfterBurn(userId)})`,
          })})`,
        ],
        lostRace: wrong,
      },
    };
  },
};
