// Step-up: what a signed-in session must prove, in the request itself, to make a security change
// (DESIGN §6 rule 7, OWASP ASVS 6.8/7.5, NIST AAL2). ONE function decides, for every change:
//  - an account with 2FA: the password AND a second factor (a current code, an unused backup code,
//    or an assertion of a registered passkey). A recent login, a remembered device or the password
//    alone is never enough — a stolen session plus a phished password must not add a passkey;
//  - an account whose 2FA an administrator reset (rule 20): the link emailed to the account AND the
//    password — the password alone does not open the setup;
//  - an account without 2FA (turning the first factor on): a login under REAUTH_MAX_AGE_SECONDS old,
//    or the password now (`passwordAlways`: the change needs the password whatever the login's age).
// Both proofs are spent here, the password first (a wrong one costs no code). Each spend is ONE
// statement on the pool (no interactive transaction holds a connection while another is needed),
// whose WHERE clause holds the lock condition; a wrong proof is counted and audited in one more.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { AppError } from "../http/errors";
import { assertNotLocked, sqlNotLocked } from "../security/budget";
import { assertStillUnlocked, refuseProof, spendPassword, SQL_RESET_FAILURES, type ProofContext } from "../security/proof";
import type { RequestMeta } from "../security/audit";
import type { SessionUser } from "../auth/session";
import type { FactorState, SecondFactorProof } from "./factor";
import { factorFor } from "./second-factor";
import { checkEnrolmentLink } from "./enrolment";

/** Who is making a change: the user and the session that survives it. */
export interface Actor {
  user: SessionUser;
  sessionId: string;
  /** the session's last full sign-in (or password confirmation) */
  authTimeMs: number;
  meta: RequestMeta;
}

/** What the request carried. */
export interface StepUpInput {
  password?: string;
  second?: SecondFactorProof;
  /** the token of the link emailed after an admin reset (rule 20) */
  enrolmentToken?: string;
}

export interface StepUpResult {
  /** the session's authTime after the proof: renewed when the password was given */
  authTimeMs: number;
}

interface StepUpState extends FactorState {
  passwordHash: string;
  lockedUntil: Date | null;
  setupRequired: boolean;
}

async function loadState(ctx: Context, userId: string): Promise<StepUpState> {
  const [row] = await ctx.db.$queryRaw<
    { passwordHash: string; lockedUntil: Date | null; setupRequired: boolean; totpId: string | null; totpSecret: string | null; totpLastStep: number | null; passkeys: number }[]
  >`SELECT u."passwordHash", u."twoFactorLockedUntil" AS "lockedUntil", u."twoFactorSetupRequired" AS "setupRequired",
      t."id" AS "totpId", t."secret" AS "totpSecret", t."lastStep" AS "totpLastStep",
      (SELECT count(*)::int FROM "Passkey" p WHERE p."userId" = u."id") AS "passkeys"
    FROM "User" u LEFT JOIN "TotpCredential" t ON t."userId" = u."id" WHERE u."id" = ${userId}`;
  if (!row) throw new AppError("UNAUTHENTICATED");
  return {
    userId,
    passwordHash: row.passwordHash,
    lockedUntil: row.lockedUntil,
    setupRequired: row.setupRequired,
    totp: row.totpId && row.totpSecret ? { id: row.totpId, secret: row.totpSecret, lastStep: row.totpLastStep } : null,
    passkeys: row.passkeys,
  };
}

/** 401 REAUTH_REQUIRED, saying what the request must carry. */
const reauthRequired = (needs: ("password" | "secondFactor" | "enrolmentLink")[], message?: string) => new AppError("REAUTH_REQUIRED", { needs }, message);

/**
 * Checks and spends the step-up for a change called `purpose` (kept in audit details). Throws the
 * client's answer when something is missing (401 REAUTH_REQUIRED {needs}) or wrong (401
 * INVALID_PASSWORD / 400 INVALID_CODE / 400 PASSKEY_FAILED with attemptsRemaining, 429 once locked,
 * 400 ENROLMENT_LINK_*).
 */
export async function requireStepUp(
  ctx: Context,
  actor: Actor,
  purpose: string,
  input: StepUpInput,
  opts: { passwordAlways?: boolean } = {},
): Promise<StepUpResult> {
  const state = await loadState(ctx, actor.user.id);
  const now = ctx.clock.now();
  assertNotLocked(state.lockedUntil, now);
  const pc: ProofContext = { userId: actor.user.id, meta: actor.meta, purpose };
  const twoFactorOn = state.totp !== null || state.passkeys > 0;

  if (twoFactorOn) {
    if (input.password === undefined || input.second === undefined) {
      throw reauthRequired(["password", "secondFactor"], "Confirm with your password and a code, a backup code or a passkey");
    }
    await spendPassword(ctx, pc, state.passwordHash, input.password);
    await spendSecondFactor(ctx, pc, state, actor.sessionId, input.second);
    return { authTimeMs: await renewAuthTime(ctx, actor, now) };
  }
  if (input.second !== undefined) throw new AppError("TWOFA_NOT_ENABLED");
  if (state.setupRequired) {
    if (input.enrolmentToken === undefined || input.password === undefined) {
      throw reauthRequired(["enrolmentLink", "password"], "Open the link we emailed you, then confirm with your password");
    }
    await checkEnrolmentLink(ctx, actor.user.id, input.enrolmentToken);
    await spendPassword(ctx, pc, state.passwordHash, input.password);
    return { authTimeMs: await renewAuthTime(ctx, actor, now) };
  }
  if (input.password === undefined) {
    if (!opts.passwordAlways && now - actor.authTimeMs <= ctx.config.reauthMaxAgeSeconds * 1000) return { authTimeMs: actor.authTimeMs };
    throw reauthRequired(["password"]);
  }
  await spendPassword(ctx, pc, state.passwordHash, input.password);
  return { authTimeMs: await renewAuthTime(ctx, actor, now) };
}

/** A full proof renews the session's sign-in time (the caller re-issues its access token). */
async function renewAuthTime(ctx: Context, actor: Actor, now: number): Promise<number> {
  await ctx.db.session.updateMany({ where: { id: actor.sessionId, userId: actor.user.id }, data: { authTime: new Date(now) } });
  return now;
}

/**
 * The second factor, through the same factor the login uses (./second-factor.ts). Accepted: ONE
 * statement — the factor's guarded spend (only while the account is unlocked), the failure window
 * reset, and the factor's own audit rows and mails, all only if the spend matched.
 */
async function spendSecondFactor(ctx: Context, pc: ProofContext, state: StepUpState, sessionId: string, proof: SecondFactorProof): Promise<void> {
  const now = ctx.clock.now();
  const verdict = await factorFor(proof).verify({ ctx, user: state, site: { kind: "step_up", sessionId, purpose: pc.purpose }, proof, meta: pc.meta, nowMs: now });
  if ("refused" in verdict) {
    const { type, detail, refusal, errorCode, extra } = verdict.refused;
    throw await refuseProof(ctx, pc, { type, detail, refusal, code: errorCode, extra });
  }
  const accepted = verdict.accepted;
  const notLocked = Prisma.sql`EXISTS (SELECT 1 FROM "User" WHERE "id" = ${pc.userId} AND ${sqlNotLocked(now)})`;
  const extra = accepted.alsoWrite?.(Prisma.sql`EXISTS (SELECT 1 FROM u)`) ?? [];
  const [row] = await ctx.db.$queryRaw<{ spent: number }[]>`
    WITH f AS (${accepted.spend(notLocked)}),
    u AS (UPDATE "User" SET ${SQL_RESET_FAILURES} WHERE "id" = (SELECT "userId" FROM f) AND ${sqlNotLocked(now)} RETURNING "id")
    ${extra.length ? Prisma.sql`, ${Prisma.join(extra, ", ")}` : Prisma.empty}
    SELECT (SELECT count(*)::int FROM u) AS spent`;
  if (row.spent === 1) return;
  // A lock that won the race answers 429; otherwise a concurrent request spent this proof first.
  await assertStillUnlocked(ctx, pc.userId);
  const why = await accepted.lostRace();
  if (why instanceof AppError) throw why;
  throw await refuseProof(ctx, pc, { type: why.type, detail: why.detail, refusal: why.refusal, code: why.errorCode, extra: why.extra });
}
