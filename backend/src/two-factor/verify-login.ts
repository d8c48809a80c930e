// Second login step: the twofa_token names a LoginChallenge; a right code consumes it and
// yields a session. TOTP path: 2 SQL round trips (load; consume + audit in one statement).
// Failure path: load; count + audit in one statement.
import { Prisma, type Role } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import type { RequestMeta } from "../security/audit";
import type { SessionUser } from "../auth/session";
import { eventData, sqlEnqueueMail, sqlUnseenDevice } from "../mail/outbox";
import { insertedSessionState, newSessionId, sqlInsertSession, type SessionState } from "../sessions/sessions";
import { rememberDevice, type DeviceCookie } from "../sessions/trusted-devices";
import { hashBackupCode, normalizeBackupCode } from "./backup-codes/backup-codes";
import { assertNotLocked, failureError, MAX_CHALLENGE_FAILURES, recordProofFailure, sqlNotLocked } from "../security/budget";
import { sqlStepIsNew } from "../security/proof";
import { prismaSql, type SqlRunner } from "../db/hot-sql";
import { sqlTime } from "../db/sql";
import { newAuditId, sqlAuditInsert } from "../security/audit";
import { describeReplay, driftRefusal, refusalDetail, type CodeRefusal } from "../security/code-refusal";
import { verifyTotp } from "./totp/totp";

export type LoginProof = { code: string } | { backupCode: string };

interface ChallengeRow {
  userId: string;
  expiresAt: Date;
  consumedAt: Date | null;
  failedAttempts: number;
  twoFactorEnabled: boolean;
  twoFactorSecret: string | null;
  twoFactorLastStep: number | null;
  twoFactorLockedUntil: Date | null;
}

/** The code step of a login; with rememberDevice, this browser skips it for 30 days. */
export async function completeTwoFactorLogin(
  ctx: Context,
  token: { sub: string; n: string },
  proof: LoginProof,
  remember: boolean,
  meta: RequestMeta,
): Promise<{ user: SessionUser; session: SessionState; deviceCookie?: DeviceCookie }> {
  const { user, session } = await verifyLoginChallenge(ctx, token, proof, meta);
  if (!remember) return { user, session };
  const deviceCookie = await rememberDevice(ctx.db, user.id, session.id, ctx.clock.now(), meta);
  return { user, session: { ...session, trustedDeviceId: deviceCookie.id }, deviceCookie };
}

export async function verifyLoginChallenge(
  ctx: Context,
  token: { sub: string; n: string },
  proof: LoginProof,
  meta: RequestMeta,
): Promise<{ user: SessionUser; session: SessionState }> {
  const now = ctx.clock.now();
  // On the raw pool (db/hot-sql.ts): this and the consume statement are the hot path.
  const [challenge] = await ctx.hotSql<ChallengeRow>(Prisma.sql`
    SELECT c."userId", c."expiresAt", c."consumedAt", c."failedAttempts",
           u."twoFactorEnabled", u."twoFactorSecret", u."twoFactorLastStep", u."twoFactorLockedUntil"
    FROM "LoginChallenge" c JOIN "User" u ON u."id" = c."userId"
    WHERE c."id" = ${token.n}`);
  // Used, expired, out of attempts, or 2FA turned off meanwhile: the login must start over.
  if (
    !challenge ||
    challenge.userId !== token.sub ||
    challenge.consumedAt ||
    challenge.expiresAt.getTime() <= now ||
    challenge.failedAttempts >= MAX_CHALLENGE_FAILURES ||
    !challenge.twoFactorEnabled ||
    !challenge.twoFactorSecret
  ) {
    throw new AppError("SESSION_EXPIRED");
  }
  assertNotLocked(challenge.twoFactorLockedUntil, now);

  const fail = async (type: "TWOFA_VERIFY_FAILURE" | "TOTP_REPLAY", detail: Record<string, unknown>, refusal?: CodeRefusal) => {
    const result = await recordProofFailure(ctx, { userId: challenge.userId, challengeId: token.n, type, meta, detail: { ...detail, ...refusalDetail(refusal) } });
    return failureError(result, now, refusal);
  };
  const failReplay = async (step: number, race?: true) => {
    const replay = await describeReplay(ctx, { userId: challenge.userId, meta, step, lastStep: challenge.twoFactorLastStep, nowMs: now });
    return fail("TOTP_REPLAY", { method: "totp", ...replay.detail, ...(race ? { race } : {}) }, replay.refusal);
  };

  if ("code" in proof) {
    const secret = ctx.secretBox.decrypt(challenge.twoFactorSecret);
    const accepted = verifyTotp(secret, proof.code, now, ctx.config.totp.window);
    if (!accepted) throw await fail("TWOFA_VERIFY_FAILURE", { method: "totp" }, driftRefusal(secret, proof.code, now, ctx.config.totp.window));
    if (challenge.twoFactorLastStep !== null && accepted.step <= challenge.twoFactorLastStep) {
      throw await failReplay(accepted.step);
    }
    // Key rotation: a secret still under an older key is re-encrypted under the current one
    // by the same statement (only when it is the value we just read).
    const reencrypt = ctx.secretBox.needsReencryption(challenge.twoFactorSecret)
      ? Prisma.sql`"twoFactorSecret" = CASE WHEN "twoFactorSecret" = ${challenge.twoFactorSecret}
          THEN ${ctx.secretBox.encrypt(secret)} ELSE "twoFactorSecret" END,`
      : Prisma.empty;
    const user = await consumeChallenge(ctx.hotSql, token.n, challenge.userId, now, meta, {
      // RFC 6238 §5.2: the step must be newer than the last accepted one, checked and written in
      // the same statement, so two requests with one code cannot both pass.
      userGuard: sqlStepIsNew(accepted.step),
      userSet: Prisma.sql`"twoFactorLastStep" = ${accepted.step}, ${reencrypt}`,
      session: { id: newSessionId(), authMethod: "totp", nowMs: now, meta },
    });
    if (user) return user;
    throw await explainLostRace(ctx, token.n, now, () => failReplay(accepted.step, true));
  }

  const normalized = normalizeBackupCode(proof.backupCode);
  const codeHash = normalized ? hashBackupCode(ctx.config.backupCodeKey, normalized) : null;
  if (!codeHash) throw await fail("TWOFA_VERIFY_FAILURE", { method: "backup_code" });
  // Burn the backup code and consume the challenge in one transaction: only the first racer
  // gets the code, and if the challenge is lost to another request the code is not spent.
  const outcome = await ctx.db
    .$transaction(async (tx) => {
      const burned = await tx.$executeRaw`
        UPDATE "BackupCode" SET "usedAt" = ${sqlTime(now)}
        WHERE "userId" = ${challenge.userId} AND "codeHash" = ${codeHash} AND "usedAt" IS NULL`;
      if (burned !== 1) return "wrong-code" as const;
      const consumed = await consumeChallenge(prismaSql(tx), token.n, challenge.userId, now, meta, {
        userGuard: Prisma.sql`TRUE`,
        userSet: Prisma.empty,
        session: { id: newSessionId(), authMethod: "backup_code", nowMs: now, meta },
      });
      if (!consumed) throw LOST_RACE;
      await tx.auditEvent.create({ data: { id: newAuditId(), userId: consumed.user.id, type: "BACKUP_CODE_USED", ip: meta.ip, userAgent: meta.userAgent } });
      return consumed;
    })
    .catch((err) => {
      if (err === LOST_RACE) return "lost-race" as const;
      throw err;
    });
  if (outcome === "wrong-code") {
    // A spent code of this account says so (DESIGN §5 backup_code_used); the failure path only.
    const spent = await ctx.db.backupCode.count({ where: { userId: challenge.userId, codeHash, usedAt: { not: null } } });
    throw await fail("TWOFA_VERIFY_FAILURE", { method: "backup_code" }, spent > 0 ? { reason: "backup_code_used" } : undefined);
  }
  if (outcome === "lost-race") throw await explainLostRace(ctx, token.n, now, () => fail("TWOFA_VERIFY_FAILURE", { method: "backup_code" }));
  return outcome;
}

const LOST_RACE = Symbol("lost-race");

/**
 * Consumes the challenge and updates the user in ONE statement. The challenge UPDATE takes
 * its row lock first: of N concurrent requests only the first sees consumedAt IS NULL, the
 * others re-check after it commits and match nothing. The Session row is inserted by the same
 * statement, only when both the challenge and the user rows were updated.
 */
async function consumeChallenge(
  run: SqlRunner,
  challengeId: string,
  userId: string,
  now: number,
  meta: RequestMeta,
  parts: { userGuard: Prisma.Sql; userSet: Prisma.Sql; session: Parameters<typeof sqlInsertSession>[1] },
): Promise<{ user: SessionUser; session: SessionState } | null> {
  const method = parts.session.authMethod;
  const rows = await run<SessionUser>(Prisma.sql`
    WITH c AS (
      UPDATE "LoginChallenge" SET "consumedAt" = ${sqlTime(now)}
      WHERE "id" = ${challengeId} AND "userId" = ${userId} AND "consumedAt" IS NULL
        AND "expiresAt" > ${sqlTime(now)} AND "failedAttempts" < ${MAX_CHALLENGE_FAILURES}
      RETURNING "userId"
    ), u AS (
      UPDATE "User" SET ${parts.userSet}
        "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "twoFactorLockedUntil" = NULL
      WHERE "id" = (SELECT "userId" FROM c) AND "twoFactorEnabled"
        AND ${sqlNotLocked(now)}
        AND ${parts.userGuard}
      RETURNING "id", "email", "role", "tokenVersion", "twoFactorEnabled"
    ), s AS (${sqlInsertSession(Prisma.sql`(SELECT "id" FROM u)`, parts.session)} WHERE EXISTS (SELECT 1 FROM u)),
    a1 AS (${sqlAuditInsert(Prisma.sql`(SELECT "id" FROM u)`, "TWOFA_VERIFY_SUCCESS", meta, { method })} WHERE EXISTS (SELECT 1 FROM u)),
    a2 AS (${sqlAuditInsert(Prisma.sql`(SELECT "id" FROM u)`, "LOGIN_SUCCESS", meta, { method, twoFactor: true })} WHERE EXISTS (SELECT 1 FROM u)),
    ${sqlLoginMails(userId, method, meta, now)}
    SELECT "id", "email", "role"::text AS "role", "tokenVersion", "twoFactorEnabled" FROM u`);
  const row = rows[0];
  return row ? { user: { ...row, role: row.role as Role }, session: insertedSessionState(row.id, parts.session) } : null;
}

/**
 * Security emails of a completed code step, as CTEs of the consume statement (no extra round
 * trip on the hot path): "new sign-in" only when no earlier session of this user came from this
 * browser; "backup code used" with how many are left (the burn ran earlier in this transaction,
 * so this statement's snapshot already counts it as used).
 */
function sqlLoginMails(userId: string, method: "totp" | "backup_code" | string, meta: RequestMeta, now: number): Prisma.Sql {
  const idOfU = Prisma.sql`(SELECT "id" FROM u)`;
  const data = eventData(meta, now);
  const newDevice = Prisma.sql`m1 AS (${sqlEnqueueMail(idOfU, "new_device_sign_in", { ...data, method }, now, {
    when: Prisma.sql`EXISTS (SELECT 1 FROM u) AND ${sqlUnseenDevice(userId, meta.userAgent)}`,
  })})`;
  if (method !== "backup_code") return newDevice;
  const remaining = Prisma.sql`jsonb_build_object('remaining', (SELECT count(*)::int FROM "BackupCode" WHERE "userId" = ${userId} AND "usedAt" IS NULL))`;
  return Prisma.sql`${newDevice}, m2 AS (${sqlEnqueueMail(idOfU, "backup_code_used", data, now, { extra: remaining })})`;
}

/** The consume statement matched nothing although the first read looked fine: say why. */
async function explainLostRace(ctx: Context, challengeId: string, now: number, otherwise: () => Promise<AppError>): Promise<AppError> {
  const row = await ctx.db.loginChallenge.findUnique({
    where: { id: challengeId },
    select: { consumedAt: true, expiresAt: true, failedAttempts: true, user: { select: { twoFactorLockedUntil: true } } },
  });
  if (!row || row.consumedAt || row.expiresAt.getTime() <= now || row.failedAttempts >= MAX_CHALLENGE_FAILURES) {
    return new AppError("SESSION_EXPIRED");
  }
  try {
    assertNotLocked(row.user.twoFactorLockedUntil, now);
  } catch (err) {
    return err as AppError;
  }
  return otherwise();
}
