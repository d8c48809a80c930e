// What every proof a signed-in user gives shares, whatever the factor (DESIGN §6 rules 7, 12): the
// password as proof, the refusal that counts a wrong proof in the per-account budget, and the
// "still unlocked" check after a slow hash. The second factors live in two-factor/ (factor.ts);
// two-factor/step-up.ts puts both together. The rules, written once:
//  - a locked account evaluates nothing (429 before any hashing);
//  - a right answer is accepted only while the account is unlocked (a guess that spent the budget
//    a moment ago also stops the right answer racing it);
//  - a wrong answer is counted in the per-account budget and audited by one statement
//    (budget.recordProofFailure), and only while the budget lasts.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import type { AppError } from "../http/errors";
import { verifyPassword } from "../auth/password";
import type { AuditEventType, RequestMeta } from "./audit";
import { assertNotLocked, failureError, recordProofFailure, sqlNotLocked } from "./budget";
import { refusalDetail, type CodeRefusal } from "./code-refusal";

/** What a successful second factor resets: the failure window (the owner is evidently here). */
export const SQL_RESET_FAILURES = Prisma.sql`"twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL`;

export interface ProofContext {
  userId: string;
  meta: RequestMeta;
  /** what the proof is for, kept in the audit detail ("disable", "backup_codes", "passkey_add", ...) */
  purpose: string;
}

export interface ProofRefusal {
  type: AuditEventType;
  detail?: Record<string, unknown>;
  refusal?: CodeRefusal;
  code?: "INVALID_CODE" | "INVALID_PASSWORD" | "PASSKEY_FAILED";
  extra?: Record<string, unknown>;
}

/** Counts a wrong proof (one statement) and turns it into the answer: 400/401 with attemptsRemaining, or 429. */
export async function refuseProof(ctx: Context, pc: ProofContext, why: ProofRefusal): Promise<AppError> {
  const detail = { during: pc.purpose, ...why.detail, ...refusalDetail(why.refusal) };
  const result = await recordProofFailure(ctx, { userId: pc.userId, type: why.type, meta: pc.meta, detail });
  return failureError(result, ctx.clock.now(), why.refusal, why.code, why.extra);
}

/** Refuses (429) when the account is locked now: read in a statement of its own, after a slow step. */
export async function assertStillUnlocked(ctx: Context, userId: string): Promise<void> {
  const now = ctx.clock.now();
  const rows = await ctx.db.$queryRaw<{ id: string }[]>`SELECT "id" FROM "User" WHERE "id" = ${userId} AND ${sqlNotLocked(now)}`;
  if (rows.length === 1) return;
  const user = await ctx.db.user.findUnique({ where: { id: userId }, select: { twoFactorLockedUntil: true } });
  assertNotLocked(user?.twoFactorLockedUntil ?? null, now);
}

/** The password as proof: a wrong one is 401 INVALID_PASSWORD {attemptsRemaining}, counted. */
export async function spendPassword(ctx: Context, pc: ProofContext, passwordHash: string, password: string): Promise<void> {
  if (!(await verifyPassword(passwordHash, password))) throw await refuseProof(ctx, pc, { type: "PASSWORD_PROOF_FAILURE", code: "INVALID_PASSWORD" });
  // A right password never resets the budget: whoever phished it could otherwise interleave it
  // with code guesses forever. It must still not pass once concurrent guesses locked the account.
  await assertStillUnlocked(ctx, pc.userId);
}
