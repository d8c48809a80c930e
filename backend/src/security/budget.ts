// The guessing budget (DESIGN §6.4, §6.12), counted in PostgreSQL so it holds across IPs,
// challenges and server instances: at most 5 wrong proofs (TOTP code, backup code, or a password
// given to confirm a change, a passkey that failed) per account per 15 minutes, and at most 5 per login challenge.
// Past either, even a right answer is refused.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { sqlTime } from "../db/sql";
import { eventData, sqlEnqueueMail, sqlIsoTime } from "../mail/outbox";
import { newAuditId, sqlAuditInsert, type AuditEventType, type RequestMeta } from "./audit";
import { refusalMessage, type CodeRefusal } from "./code-refusal";

export const MAX_ACCOUNT_FAILURES = 5;
export const MAX_CHALLENGE_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60 * 1000;

export function retryAfterSeconds(lockedUntil: Date, nowMs: number) {
  return Math.max(1, Math.ceil((lockedUntil.getTime() - nowMs) / 1000));
}

export function tooManyAttempts(lockedUntil: Date, nowMs: number) {
  return new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: retryAfterSeconds(lockedUntil, nowMs) });
}

/** The lock condition, for the WHERE clause of every statement that accepts a proof. */
export const sqlNotLocked = (nowMs: number) => Prisma.sql`("twoFactorLockedUntil" IS NULL OR "twoFactorLockedUntil" <= ${sqlTime(nowMs)})`;

/** Throws 429 when the account is locked at this moment. */
export function assertNotLocked(lockedUntil: Date | null, nowMs: number) {
  if (lockedUntil && lockedUntil.getTime() > nowMs) throw tooManyAttempts(lockedUntil, nowMs);
}

export interface FailureResult {
  accountFailures: number;
  challengeFailures: number | null;
  lockedUntil: Date | null;
  attemptsRemaining: number;
}

/**
 * Counts one wrong proof against the account (and the challenge, when there is one) and audits
 * it, in ONE statement: the increments are atomic, so concurrent guesses cannot slip past the
 * limit by reading a stale count, and a guess that arrives once the account is locked is not
 * counted as evaluated (the caller answers 429, not "wrong"). The window is fixed: it opens at
 * the first failure and the account is locked until it closes once MAX_ACCOUNT_FAILURES is reached.
 */
export async function recordProofFailure(
  ctx: Context,
  args: {
    userId: string;
    challengeId?: string;
    /** a login's wrong code that is the code of another step: kept on the challenge (DESIGN §6 rule 19) */
    challengeDriftSeconds?: number;
    type: AuditEventType;
    meta: RequestMeta;
    detail?: Record<string, unknown>;
  },
): Promise<FailureResult> {
  const now = ctx.clock.now();
  const fresh = Prisma.sql`("twoFactorFailureWindowAt" IS NULL OR "twoFactorFailureWindowAt" <= ${sqlTime(now - FAILURE_WINDOW_MS)})`;
  const rows = await ctx.db.$queryRaw<{ failures: number; lockedUntil: Date | null; challengeFailures: number | null }[]>`
    WITH u AS (
      UPDATE "User" SET
        "twoFactorFailedAttempts" = CASE WHEN ${fresh} THEN 1 ELSE "twoFactorFailedAttempts" + 1 END,
        "twoFactorFailureWindowAt" = CASE WHEN ${fresh} THEN ${sqlTime(now)} ELSE "twoFactorFailureWindowAt" END,
        "twoFactorLockedUntil" = CASE
          WHEN NOT ${fresh} AND "twoFactorFailedAttempts" + 1 >= ${MAX_ACCOUNT_FAILURES}
          THEN "twoFactorFailureWindowAt" + interval '15 minutes'
          ELSE "twoFactorLockedUntil" END
      WHERE "id" = ${args.userId} AND ${sqlNotLocked(now)}
      RETURNING "twoFactorFailedAttempts" AS failures, "twoFactorLockedUntil" AS "lockedUntil"
    ), c AS (
      UPDATE "LoginChallenge" SET "failedAttempts" = "failedAttempts" + 1, "driftSeconds" = COALESCE(${args.challengeDriftSeconds ?? null}::int, "driftSeconds")
      WHERE "id" = ${args.challengeId ?? null} AND "userId" = ${args.userId} AND EXISTS (SELECT 1 FROM u)
      RETURNING "failedAttempts"
    ), a AS (${sqlAuditInsert(Prisma.sql`${args.userId}`, args.type, args.meta, args.detail)}),
    -- the failure that locks the account emails its owner (whoever guesses may know the password)
    m AS (${sqlEnqueueMail(Prisma.sql`${args.userId}`, "account_locked", eventData(args.meta, now), now, {
      when: Prisma.sql`EXISTS (SELECT 1 FROM u WHERE u.failures = ${MAX_ACCOUNT_FAILURES} AND u."lockedUntil" > ${sqlTime(now)})`,
      extra: Prisma.sql`jsonb_build_object('until', (SELECT ${sqlIsoTime(Prisma.sql`"lockedUntil"`)} FROM u))`,
    })})
    SELECT u.failures, u."lockedUntil", (SELECT "failedAttempts" FROM c) AS "challengeFailures" FROM u`;
  const row = rows[0];
  if (!row) {
    // Not counted: the account was locked meanwhile (a concurrent guess spent the budget) or is gone.
    const user = await ctx.db.user.findUnique({ where: { id: args.userId }, select: { twoFactorLockedUntil: true } });
    if (!user) throw new AppError("UNAUTHENTICATED");
    assertNotLocked(user.twoFactorLockedUntil, now);
    throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: 1 });
  }
  const accountLeft = MAX_ACCOUNT_FAILURES - row.failures;
  const challengeLeft = row.challengeFailures === null ? Infinity : MAX_CHALLENGE_FAILURES - row.challengeFailures;
  const lockedUntil = row.lockedUntil && row.lockedUntil.getTime() > now ? row.lockedUntil : null;
  if (lockedUntil && row.failures === MAX_ACCOUNT_FAILURES) {
    await ctx.db.auditEvent.create({ data: { id: newAuditId(), userId: args.userId, type: "TWOFA_LOCKED", ip: args.meta.ip, userAgent: args.meta.userAgent, detail: { until: lockedUntil.toISOString() } } });
  }
  return {
    accountFailures: row.failures,
    challengeFailures: row.challengeFailures,
    lockedUntil,
    attemptsRemaining: Math.max(0, Math.min(accountLeft, challengeLeft)),
  };
}

/**
 * Turns a recorded failure into the client's answer: 429 once locked, else 400/401 with what is
 * left and, when the server knows why a code was refused, `reason` and its numbers
 * (security/code-refusal.ts).
 */
export function failureError(
  result: FailureResult,
  nowMs: number,
  refusal?: CodeRefusal,
  code: "INVALID_CODE" | "INVALID_PASSWORD" | "PASSKEY_FAILED" = "INVALID_CODE",
  extra: Record<string, unknown> = {},
): AppError {
  if (result.lockedUntil) return tooManyAttempts(result.lockedUntil, nowMs);
  return new AppError(code, { attemptsRemaining: result.attemptsRemaining, ...refusal, ...extra }, refusal ? refusalMessage(refusal) : undefined);
}
