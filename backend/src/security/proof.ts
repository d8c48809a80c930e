// Every proof a signed-in user gives to change their security settings — a password, a TOTP
// code, a backup code — is checked and spent here (DESIGN §6.7, §6.12). The rules, written once:
//  - a locked account evaluates nothing (429 before any hashing);
//  - a right answer is accepted by ONE statement whose WHERE clause holds the lock condition, so
//    a guess that spent the budget a moment ago also stops the right answer racing it;
//  - a TOTP code is accepted only for a step newer than the credential's last accepted one
//    (RFC 6238 §5.2, sqlSpendTotpStep — the login step uses the same statement), and that step is
//    stored by the same statement;
//  - a wrong answer is counted in the per-account budget and audited by one statement
//    (budget.recordProofFailure), and only while the budget lasts.
// Each step is a single statement on the pool: no interactive transaction holds a connection
// while another is needed, so a burst of requests from one account cannot starve the pool.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { verifyPassword } from "../auth/password";
import { backupCodeHash, sqlBackupCodesLeftAfterBurn, sqlBurnBackupCode } from "../two-factor/backup-codes/backup-codes";
import { verifyTotp } from "../two-factor/totp/totp";
import { sqlSpendTotpStep, sqlStepIsNew, TOTP_NOT_ON } from "../two-factor/totp/totp-credential";
import { eventData, sqlEnqueueMail } from "../mail/outbox";
import { spendPasskeyProof } from "../two-factor/passkey/verify";
import type { AuthenticationResponseBody } from "../two-factor/passkey/passkey.schemas";
import type { AuthenticationResponseJSON } from "../two-factor/passkey/webauthn";
import { sqlAuditInsert, type AuditEventType, type RequestMeta } from "./audit";
import { assertNotLocked, failureError, recordProofFailure, sqlNotLocked } from "./budget";
import { describeReplay, driftRefusal, refusalDetail, type CodeRefusal } from "./code-refusal";

/** A passkey proof answers a proof-options challenge of the caller's session (two-factor/passkey/verify.ts). */
export type Proof = { password: string } | { code: string } | { backupCode: string } | { passkey: AuthenticationResponseBody };

/** RFC 6238 §5.2, the replay rule (now on TotpCredential.lastStep): re-exported for older imports. */
export { sqlStepIsNew };

/** What a successful second factor resets: the failure window (the owner is evidently here). */
export const SQL_RESET_FAILURES = Prisma.sql`"twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL`;

export interface ProofContext {
  userId: string;
  meta: RequestMeta;
  /** what the proof is for, kept in the audit detail ("disable", "backup_codes", "reauth", ...) */
  purpose: string;
  /** the caller's session: a {passkey} proof must answer the challenge issued to it (else refused) */
  sessionId?: string;
}

interface ProofState {
  passwordHash: string;
  /** a TotpCredential or a Passkey (two-factor/factors.ts) */
  twoFactorEnabled: boolean;
  totp: { id: string; secret: string; lastStep: number | null } | null;
  twoFactorLockedUntil: Date | null;
}

async function loadProofState(ctx: Context, userId: string): Promise<ProofState> {
  const state = await ctx.db.user.findUnique({
    where: { id: userId },
    select: {
      passwordHash: true,
      twoFactorLockedUntil: true,
      totpCredential: { select: { id: true, secret: true, lastStep: true } },
      _count: { select: { passkeys: true } },
    },
  });
  if (!state) throw new AppError("UNAUTHENTICATED");
  return {
    passwordHash: state.passwordHash,
    twoFactorLockedUntil: state.twoFactorLockedUntil,
    totp: state.totpCredential,
    twoFactorEnabled: state.totpCredential !== null || state._count.passkeys > 0,
  };
}

async function refuse(
  ctx: Context,
  pc: ProofContext,
  type: AuditEventType,
  why: { refusal?: CodeRefusal; detail?: Record<string, unknown>; code?: "INVALID_PASSWORD" } = {},
): Promise<AppError> {
  const detail = { during: pc.purpose, ...why.detail, ...refusalDetail(why.refusal) };
  const result = await recordProofFailure(ctx, { userId: pc.userId, type, meta: pc.meta, detail });
  return failureError(result, ctx.clock.now(), why.refusal, why.code);
}

/**
 * Checks a proof and spends it; throws the client's answer when it is wrong (400 INVALID_CODE /
 * 401 INVALID_PASSWORD with attemptsRemaining, or 429 TOO_MANY_ATTEMPTS with retryAfterSeconds).
 * Several proofs (password AND code) are checked in order, each spent as it passes.
 */
export async function spendProofs(ctx: Context, pc: ProofContext, proofs: Proof[]): Promise<void> {
  const state = await loadProofState(ctx, pc.userId);
  assertNotLocked(state.twoFactorLockedUntil, ctx.clock.now());
  for (const proof of proofs) {
    if ("password" in proof) await spendPassword(ctx, pc, state, proof.password);
    else if ("code" in proof) await spendTotpCode(ctx, pc, state, proof.code);
    else if ("passkey" in proof) await spendPasskey(ctx, pc, state, proof.passkey);
    else await spendBackupCode(ctx, pc, state, proof.backupCode);
  }
}

async function spendPasskey(ctx: Context, pc: ProofContext, state: ProofState, response: AuthenticationResponseBody) {
  if (!state.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  await spendPasskeyProof(ctx, pc, response as AuthenticationResponseJSON);
}

/** Refuses (429) when the account is locked now: read in a statement of its own, after the slow hash. */
async function assertStillUnlocked(ctx: Context, userId: string) {
  const now = ctx.clock.now();
  const rows = await ctx.db.$queryRaw<{ id: string }[]>`SELECT "id" FROM "User" WHERE "id" = ${userId} AND ${sqlNotLocked(now)}`;
  if (rows.length === 1) return;
  const user = await ctx.db.user.findUnique({ where: { id: userId }, select: { twoFactorLockedUntil: true } });
  assertNotLocked(user?.twoFactorLockedUntil ?? null, now);
}

async function spendPassword(ctx: Context, pc: ProofContext, state: ProofState, password: string) {
  if (!(await verifyPassword(state.passwordHash, password))) throw await refuse(ctx, pc, "PASSWORD_PROOF_FAILURE", { code: "INVALID_PASSWORD" });
  // A right password never resets the budget: whoever phished it could otherwise interleave it
  // with code guesses forever. It must still not pass once concurrent guesses locked the account.
  await assertStillUnlocked(ctx, pc.userId);
}

async function spendTotpCode(ctx: Context, pc: ProofContext, state: ProofState, code: string) {
  if (!state.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  // a passkey-only account has no authenticator app to take a code from
  if (!state.totp) throw TOTP_NOT_ON();
  const credential = state.totp;
  const now = ctx.clock.now();
  const secret = ctx.secretBox.decrypt(credential.secret);
  const accepted = verifyTotp(secret, code, now, ctx.config.totp.window);
  if (!accepted) throw await refuse(ctx, pc, "TWOFA_VERIFY_FAILURE", { detail: { method: "totp" }, refusal: driftRefusal(secret, code, now, ctx.config.totp.window) });
  // ONE statement: the step is spent on the credential row (replay rule under its row lock) only
  // while the account is unlocked, and the failure window is reset under the User row's lock
  // condition only if the step was spent. A spent step with a lock that won the race in between
  // answers 429 below (the step is then used up, which costs the owner nothing but 30 s).
  const notLocked = Prisma.sql`EXISTS (SELECT 1 FROM "User" WHERE "id" = ${pc.userId} AND ${sqlNotLocked(now)})`;
  const [row] = await ctx.db.$queryRaw<{ spent: number }[]>`
    WITH t AS (${sqlSpendTotpStep({ credentialId: credential.id, step: accepted.step, nowMs: now, when: notLocked })}),
    u AS (UPDATE "User" SET ${SQL_RESET_FAILURES} WHERE "id" = (SELECT "userId" FROM t) AND ${sqlNotLocked(now)} RETURNING "id")
    SELECT (SELECT count(*)::int FROM u) AS spent`;
  if (row.spent === 1) return;
  await assertStillUnlocked(ctx, pc.userId);
  const replay = await describeReplay(ctx, { userId: pc.userId, meta: pc.meta, step: accepted.step, lastStep: credential.lastStep, nowMs: now });
  throw await refuse(ctx, pc, "TOTP_REPLAY", { refusal: replay.refusal, detail: replay.detail });
}

async function spendBackupCode(ctx: Context, pc: ProofContext, state: ProofState, backupCode: string) {
  if (!state.twoFactorEnabled) throw new AppError("TWOFA_NOT_ENABLED");
  const codeHash = backupCodeHash(ctx.config.backupCodeKey, backupCode);
  if (!codeHash) throw await refuse(ctx, pc, "TWOFA_VERIFY_FAILURE", { detail: { method: "backup_code" } });
  const now = ctx.clock.now();
  // Burn it atomically: of two requests with the same code only the first racer matches
  // "usedAt" IS NULL. The audit row and the budget reset happen only if it was burned.
  const [row] = await ctx.db.$queryRaw<{ burned: number; usedBefore: boolean }[]>`
    WITH b AS (${sqlBurnBackupCode({
      userId: pc.userId,
      codeHash,
      nowMs: now,
      when: Prisma.sql`EXISTS (SELECT 1 FROM "User" WHERE "id" = ${pc.userId} AND ${sqlNotLocked(now)})`,
    })}), u AS (
      UPDATE "User" SET ${SQL_RESET_FAILURES} WHERE "id" = ${pc.userId} AND EXISTS (SELECT 1 FROM b)
    ), a AS (${sqlAuditInsert(Prisma.sql`${pc.userId}`, "BACKUP_CODE_USED", pc.meta, { during: pc.purpose })} WHERE EXISTS (SELECT 1 FROM b))${sqlBackupCodeMail(pc, now)}
    SELECT (SELECT count(*)::int FROM b) AS burned,
      EXISTS (SELECT 1 FROM "BackupCode" WHERE "userId" = ${pc.userId} AND "codeHash" = ${codeHash} AND "usedAt" IS NOT NULL) AS "usedBefore"`;
  if (row.burned === 1) return;
  await assertStillUnlocked(ctx, pc.userId);
  throw await refuse(ctx, pc, "TWOFA_VERIFY_FAILURE", { detail: { method: "backup_code" }, refusal: row.usedBefore ? { reason: "backup_code_used" } : undefined });
}

/** Proofs for changes that replace every backup code anyway: their own email says so. */
const REPLACES_BACKUP_CODES = new Set(["disable", "backup_codes"]);

/**
 * "A backup code was used (N left)", a CTE of the burn statement: the snapshot still counts the
 * code being burned as unused, hence the - 1.
 */
function sqlBackupCodeMail(pc: ProofContext, now: number): Prisma.Sql {
  if (REPLACES_BACKUP_CODES.has(pc.purpose)) return Prisma.empty;
  const remaining = Prisma.sql`jsonb_build_object('remaining', ${sqlBackupCodesLeftAfterBurn(pc.userId)})`;
  return Prisma.sql`, m AS (${sqlEnqueueMail(Prisma.sql`${pc.userId}`, "backup_code_used", eventData(pc.meta, now), now, { when: Prisma.sql`EXISTS (SELECT 1 FROM b)`, extra: remaining })})`;
}

/**
 * DESIGN §6.7: a change needs a login (auth_time) under REAUTH_MAX_AGE_SECONDS old, or the
 * password now — which, when right, renews the session's authTime (returned).
 */
export async function requireRecentAuth(ctx: Context, pc: ProofContext & { sessionId: string; authTimeMs: number }, password: string | undefined): Promise<number> {
  const now = ctx.clock.now();
  if (password === undefined) {
    if (now - pc.authTimeMs <= ctx.config.reauthMaxAgeSeconds * 1000) return pc.authTimeMs;
    throw new AppError("REAUTH_REQUIRED");
  }
  await spendProofs(ctx, pc, [{ password }]);
  await ctx.db.session.updateMany({ where: { id: pc.sessionId, userId: pc.userId }, data: { authTime: new Date(now) } });
  return now;
}
