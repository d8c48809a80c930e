// Second login step: the twofa_token names a LoginChallenge; a right proof consumes it and yields
// a session. ONE entry point for every factor: the shared part lives here (load the challenge,
// the budget, consume challenge + insert session in one statement) and each factor (./factor.ts,
// dispatched by ./second-factor.ts, the same ones a step-up uses) accepts (with the guarded SQL
// that spends its own credential row) or refuses (with a reason).
// DESIGN §6 rule 19: until this step succeeds, an answer never says how far a wrong code was off
// (a clock-drift hint would make each guess cover steps −10…+10, and a code for a future step
// could be kept until it becomes valid). The drift is kept on the challenge and told with the
// successful login's answer instead.
// Success: 2 SQL round trips (load; spend + consume + session + audit + mails in one statement).
// Failure: load; count + audit in one statement (plus whatever the verifier reads to explain it).
import { Prisma, type Role } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import type { RequestMeta } from "../security/audit";
import type { SessionUser } from "../auth/session";
import { eventData, sqlEnqueueMail, sqlUnseenDevice } from "../mail/outbox";
import { insertedSessionState, newSessionId, sqlInsertSession, type SessionState } from "../sessions/sessions";
import { rememberDevice, type DeviceCookie } from "../sessions/trusted-devices";
import { assertNotLocked, failureError, MAX_CHALLENGE_FAILURES, recordProofFailure, sqlNotLocked } from "../security/budget";
import { sqlTime } from "../db/sql";
import { sqlAuditInsert } from "../security/audit";
import { clockDriftMessage, refusalBeforeSecondFactor, refusalDetail } from "../security/code-refusal";
import { sqlTwoFactorOn } from "./factors";
import type { Acceptance, LoadedChallenge, Refusal, SecondFactorProof } from "./factor";
import { factorFor } from "./second-factor";
import { assertMaySignIn, sqlMaySignIn } from "../auth/sign-in-gate";

/** What the code step takes: exactly one proof. */
export type LoginProof = SecondFactorProof;

/** The phone's clock as the refused codes of this login showed it (signed: positive = fast). */
export interface ClockDrift {
  driftSeconds: number;
  message: string;
}

interface ChallengeRow {
  userId: string;
  expiresAt: Date;
  consumedAt: Date | null;
  failedAttempts: number;
  webauthnChallenge: string | null;
  lockedUntil: Date | null;
  totpId: string | null;
  totpSecret: string | null;
  totpLastStep: number | null;
  passkeys: number;
}

/** The code step of a login; with rememberDevice, this browser skips it for 30 days. */
export async function completeTwoFactorLogin(
  ctx: Context,
  token: { sub: string; n: string },
  proof: LoginProof,
  remember: boolean,
  meta: RequestMeta,
): Promise<{ user: SessionUser; session: SessionState; deviceCookie?: DeviceCookie; clockDrift?: ClockDrift }> {
  const { user, session, clockDrift } = await verifyLoginChallenge(ctx, token, proof, meta);
  const told = clockDrift ? { clockDrift } : {};
  if (!remember) return { user, session, ...told };
  const deviceCookie = await rememberDevice(ctx.db, user.id, session.id, ctx.clock.now(), meta);
  return { user, session: { ...session, trustedDeviceId: deviceCookie.id }, deviceCookie, ...told };
}

/** Reads the challenge, its user's lock and factors: ONE statement on the raw pool (db/hot-sql.ts). */
async function loadChallenge(ctx: Context, challengeId: string): Promise<LoadedChallenge | null> {
  const [row] = await ctx.hotSql<ChallengeRow>(Prisma.sql`
    SELECT c."userId", c."expiresAt", c."consumedAt", c."failedAttempts", c."webauthnChallenge",
           u."twoFactorLockedUntil" AS "lockedUntil",
           t."id" AS "totpId", t."secret" AS "totpSecret", t."lastStep" AS "totpLastStep",
           (SELECT count(*)::int FROM "Passkey" p WHERE p."userId" = c."userId") AS "passkeys"
    FROM "LoginChallenge" c JOIN "User" u ON u."id" = c."userId"
    LEFT JOIN "TotpCredential" t ON t."userId" = c."userId"
    WHERE c."id" = ${challengeId}`);
  if (!row) return null;
  return {
    id: challengeId,
    userId: row.userId,
    expiresAt: row.expiresAt,
    consumedAt: row.consumedAt,
    failedAttempts: row.failedAttempts,
    lockedUntil: row.lockedUntil,
    webauthnChallenge: row.webauthnChallenge,
    totp: row.totpId && row.totpSecret ? { id: row.totpId, secret: row.totpSecret, lastStep: row.totpLastStep } : null,
    passkeys: row.passkeys,
  };
}

export async function verifyLoginChallenge(
  ctx: Context,
  token: { sub: string; n: string },
  proof: LoginProof,
  meta: RequestMeta,
): Promise<{ user: SessionUser; session: SessionState; clockDrift?: ClockDrift }> {
  const now = ctx.clock.now();
  const challenge = await loadChallenge(ctx, token.n);
  // Used, expired, out of attempts, or 2FA turned off meanwhile: the login must start over.
  if (
    !challenge ||
    challenge.userId !== token.sub ||
    challenge.consumedAt ||
    challenge.expiresAt.getTime() <= now ||
    challenge.failedAttempts >= MAX_CHALLENGE_FAILURES ||
    (!challenge.totp && challenge.passkeys === 0)
  ) {
    throw new AppError("SESSION_EXPIRED");
  }
  assertMaySignIn({ twoFactorLockedUntil: challenge.lockedUntil }, now);

  const fail = async (refused: Refusal) => {
    // the audit row keeps the whole refusal; the answer only what rule 19 allows
    const detail = { ...refused.detail, ...refusalDetail(refused.refusal) };
    const driftSeconds = refused.refusal?.reason === "clock_drift" ? refused.refusal.driftSeconds : undefined;
    const result = await recordProofFailure(ctx, { userId: challenge.userId, challengeId: challenge.id, challengeDriftSeconds: driftSeconds, type: refused.type, meta, detail });
    return failureError(result, now, refusalBeforeSecondFactor(refused, now), refused.errorCode ?? "INVALID_CODE", refused.extra);
  };

  const verdict = await factorFor(proof).verify({ ctx, user: challenge, site: { kind: "login", challenge }, proof, meta, nowMs: now });
  if ("refused" in verdict) throw await fail(verdict.refused);

  const accepted = verdict.accepted;
  const consumed = await consumeChallenge(ctx, challenge, accepted, now, meta);
  if (consumed) return consumed;
  throw await explainLostRace(ctx, challenge.id, now, async () => {
    const why = await accepted.lostRace();
    return why instanceof AppError ? why : fail(why);
  });
}

/**
 * ONE statement: the factor's spend (its guarded UPDATE) runs first; the challenge is consumed
 * only if the spend matched, the user's failure window is reset only if the challenge was
 * consumed AND the account is not locked (the lock condition in that UPDATE's WHERE clause, under
 * the row lock), and the Session row, the audit rows and the mails are written only if all of that
 * happened. Row locks order racers: of N concurrent requests with one challenge (or one proof)
 * only the first matches; the others re-check after it commits and match nothing.
 */
async function consumeChallenge(
  ctx: Context,
  challenge: LoadedChallenge,
  accepted: Acceptance,
  now: number,
  meta: RequestMeta,
): Promise<{ user: SessionUser; session: SessionState; clockDrift?: ClockDrift } | null> {
  const { id: challengeId, userId } = challenge;
  const method = accepted.method;
  const session = { id: newSessionId(), authMethod: method, nowMs: now, meta };
  const live = Prisma.sql`"consumedAt" IS NULL AND "expiresAt" > ${sqlTime(now)} AND "failedAttempts" < ${MAX_CHALLENGE_FAILURES}`;
  // For the spend: a snapshot check that the challenge is still live and the account unlocked, so
  // a request that is going to lose anyway spends nothing in the usual case (the authoritative
  // checks are the UPDATEs of c and u below).
  const spendWhen = Prisma.sql`EXISTS (SELECT 1 FROM "LoginChallenge" WHERE "id" = ${challengeId} AND ${live})
    AND EXISTS (SELECT 1 FROM "User" WHERE "id" = ${userId} AND ${sqlNotLocked(now)})`;
  const idOfU = Prisma.sql`(SELECT "id" FROM u)`;
  const succeeded = Prisma.sql`EXISTS (SELECT 1 FROM u)`;
  // built in this order: audit ids sort by creation, so the factor's own events (BACKUP_CODE_USED)
  // list as the newest of the login's
  const success = Prisma.sql`a1 AS (${sqlAuditInsert(idOfU, "TWOFA_VERIFY_SUCCESS", meta, { method })} WHERE ${succeeded}),
    a2 AS (${sqlAuditInsert(idOfU, "LOGIN_SUCCESS", meta, { method, twoFactor: true })} WHERE ${succeeded})`;
  const extra = accepted.alsoWrite?.(succeeded) ?? [];
  const rows = await ctx.hotSql<Omit<SessionUser, "role"> & { role: string; driftSeconds: number | null }>(Prisma.sql`
    WITH f AS (${accepted.spend(spendWhen)}
    ), c AS (
      UPDATE "LoginChallenge" SET "consumedAt" = ${sqlTime(now)}
      WHERE "id" = ${challengeId} AND "userId" = ${userId} AND ${live}
        AND ${accepted.challengeGuard ?? Prisma.sql`TRUE`}
        AND EXISTS (SELECT 1 FROM f)
      RETURNING "userId", "driftSeconds"
    ), u AS (
      UPDATE "User" SET "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "twoFactorLockedUntil" = NULL
      WHERE "id" = (SELECT "userId" FROM c) AND ${sqlMaySignIn(now)}
      RETURNING "id", "email", "role", "tokenVersion"
    ), s AS (${sqlInsertSession(idOfU, session)} WHERE ${succeeded}),
    ${success},
    m1 AS (${sqlEnqueueMail(idOfU, "new_device_sign_in", { ...eventData(meta, now), method }, now, {
      when: Prisma.sql`${succeeded} AND ${sqlUnseenDevice(userId, meta.userAgent)}`,
    })})${extra.length ? Prisma.sql`, ${Prisma.join(extra, ", ")}` : Prisma.empty}
    SELECT "id", "email", "role"::text AS "role", "tokenVersion", ${sqlTwoFactorOn(Prisma.sql`u."id"`)} AS "twoFactorEnabled",
      (SELECT "driftSeconds" FROM c) AS "driftSeconds" FROM u`);
  const row = rows[0];
  if (!row) return null;
  const { driftSeconds, ...user } = row;
  const told = driftSeconds === null ? {} : { clockDrift: { driftSeconds, message: clockDriftMessage(driftSeconds) } };
  return { user: { ...user, role: user.role as Role }, session: insertedSessionState(row.id, session), ...told };
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
