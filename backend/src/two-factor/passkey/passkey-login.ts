// Signing in with a passkey alone (issue 20): a discoverable passkey with user verification is
// both factors (GitHub's rule) — something you have, unlocked by something you know or are.
//  1. POST /auth/passkey/options: request options with an EMPTY allowCredentials (no user is named:
//     the browser offers the passkeys it holds for our RP ID), UV required; the challenge is stored
//     in PasskeyLoginChallenge (5 minutes) and its row id goes to THIS browser in the HttpOnly
//     passkey_login cookie: another browser's challenge is useless here.
//  2. POST /auth/passkey/login {response}: the challenge named by the cookie AND answered by the
//     response is taken (single use, DELETE ... RETURNING); the Passkey is found by the
//     response's credential id and the USER COMES FROM THE CREDENTIAL (a userHandle, when sent,
//     must be that user's); the assertion is verified (origin, RP ID, UV, signature, counter);
//     then the sign-in gate every session passes (auth/sign-in-gate.ts: a locked account → 429);
//     then ONE statement moves the passkey's counter (guarded on the counter verified against),
//     resets the failure window, inserts the Session (authMethod passkey), audits LOGIN_SUCCESS
//     {method: passkey, passwordless: true} and queues the new-device email.
// Refusals are 400 PASSKEY_FAILED. Before the signature verified an answer says nothing: an
// unknown credential id, another user's handle and a wrong signature answer alike (no reason, no
// attemptsRemaining, even when the failure locks the account). Only a verified assertion is told
// why: reason user_verification or counter_rollback. A missing, used, expired or foreign challenge
// is reason "challenge" (it tells nothing about a credential). Once the credential is known, the
// failure counts in that account's proof budget (security/budget.ts); every request counts in the
// per-IP flood limit of /auth/login (app.ts).
import crypto from "node:crypto";
import { Prisma, type Role } from "@prisma/client";
import type { Context } from "../../context";
import type { Db } from "../../db/prisma";
import { sqlTime } from "../../db/sql";
import { AppError } from "../../http/errors";
import { eventData, sqlEnqueueMail, sqlUnseenDevice } from "../../mail/outbox";
import { sqlAuditInsert, type AuditEventType, type RequestMeta } from "../../security/audit";
import { recordProofFailure } from "../../security/budget";
import type { SessionUser } from "../../auth/session";
import { assertMaySignIn, sqlMaySignIn } from "../../auth/sign-in-gate";
import { insertedSessionState, newSessionId, sqlInsertSession, type SessionState } from "../../sessions/sessions";
import { sqlTwoFactorOn } from "../factors";
import type { AuthenticationResponseBody } from "./passkey.schemas";
import {
  authenticationOptions,
  challengeOf,
  checkAuthenticationShape,
  CHALLENGE_TTL_MS,
  userHandleOf,
  verifyAuthentication,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "./webauthn";

export const PASSKEY_LOGIN_TTL_SECONDS = CHALLENGE_TTL_MS / 1000;

const UV_MESSAGE =
  "This passkey did not verify you (no PIN, fingerprint or face check), so it cannot sign you in without your password. Use a passkey that asks for one, or sign in with your password.";
const CHALLENGE_MESSAGE = "This passkey sign-in expired or was already used. Start again.";

/** The answer to every failure before the signature verified: the same status and body. */
const failed = () => new AppError("PASSKEY_FAILED");

/** POST /auth/passkey/options: options for navigator.credentials.get() and the id for this browser's cookie. */
export async function passkeySignInOptions(ctx: Context): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challengeId: string }> {
  const options = await authenticationOptions(ctx.config.webauthn, []);
  const challengeId = crypto.randomBytes(24).toString("base64url");
  const now = ctx.clock.now();
  await ctx.db.$executeRaw`INSERT INTO "PasskeyLoginChallenge" ("id", "challenge", "expiresAt", "createdAt")
    VALUES (${challengeId}, ${options.challenge}, ${sqlTime(now + CHALLENGE_TTL_MS)}, ${sqlTime(now)})`;
  return { options, challengeId };
}

/** Takes this browser's challenge if the response answers it: single use, one statement. */
async function takeSignInChallenge(db: Pick<Db, "$queryRaw">, challengeId: unknown, answered: string, nowMs: number): Promise<boolean> {
  if (typeof challengeId !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(challengeId)) return false;
  const rows = await db.$queryRaw<{ id: string }[]>`
    DELETE FROM "PasskeyLoginChallenge"
    WHERE "id" = ${challengeId} AND "challenge" = ${answered} AND "expiresAt" > ${sqlTime(nowMs)}
    RETURNING "id"`;
  return rows.length === 1;
}

interface Credential {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Uint8Array;
  counter: bigint;
  twoFactorLockedUntil: Date | null;
}

/** The passkey named by the response's credential id, whoever's it is, with what the gate reads of its user. */
async function findCredential(db: Pick<Db, "$queryRaw">, credentialId: string): Promise<Credential | null> {
  const [row] = await db.$queryRaw<Credential[]>`
    SELECT p."id", p."userId", p."credentialId", p."publicKey", p."counter", u."twoFactorLockedUntil"
    FROM "Passkey" p JOIN "User" u ON u."id" = p."userId" WHERE p."credentialId" = ${credentialId}`;
  return row ?? null;
}

/** POST /auth/passkey/login. `challengeId`: the passkey_login cookie as the browser sent it. */
export async function signInWithPasskey(
  ctx: Context,
  challengeId: unknown,
  body: { response: AuthenticationResponseBody },
  meta: RequestMeta,
): Promise<{ user: SessionUser; session: SessionState }> {
  const response = body.response as AuthenticationResponseJSON;
  const shape = checkAuthenticationShape(response);
  if (shape) throw new AppError("VALIDATION_FAILED", { fields: [{ field: "response", message: shape.message }] });
  const now = ctx.clock.now();
  const answered = challengeOf(response)!;
  // a login code step's or a step-up's challenge lives elsewhere: not found here either
  if (!(await takeSignInChallenge(ctx.db, challengeId, answered, now))) throw new AppError("PASSKEY_FAILED", { reason: "challenge" }, CHALLENGE_MESSAGE);

  const credential = await findCredential(ctx.db, response.id);
  if (!credential) {
    await ctx.db.$executeRaw`${sqlAuditInsert(Prisma.sql`NULL::text`, "LOGIN_FAILURE", meta, { method: "passkey", passwordless: true, reason: "unknown_credential" })}`;
    throw failed();
  }
  const base = { method: "passkey", passwordless: true, passkeyId: credential.id };
  /** Counts the failure in the account's budget (and audits it), then the answer. */
  const refuse = async (type: AuditEventType, detail: Record<string, unknown>, answer: AppError): Promise<AppError> => {
    try {
      await recordProofFailure(ctx, { userId: credential.userId, type, meta, detail: { ...base, ...detail } });
    } catch (err) {
      // already locked: not counted, and still the same answer (a lock must not tell that the credential exists)
      if (!(err instanceof AppError && err.code === "TOO_MANY_ATTEMPTS")) throw err;
    }
    return answer;
  };

  const handle = userHandleOf(response);
  if (handle !== null && handle !== credential.userId) throw await refuse("LOGIN_FAILURE", { reason: "user_handle" }, failed());
  const verified = await verifyAuthentication(ctx.config.webauthn, response, answered, credential);
  if (!verified.ok) {
    if (verified.malformed) throw new AppError("VALIDATION_FAILED", { fields: [{ field: "response", message: verified.message }] });
    // told only of an assertion whose signature verified (webauthn.ts)
    if (verified.reason === "user_verification") throw await refuse("LOGIN_FAILURE", { reason: "user_verification" }, new AppError("PASSKEY_FAILED", { reason: "user_verification" }, UV_MESSAGE));
    if (verified.reason === "counter_rollback") {
      throw await refuse("PASSKEY_COUNTER_ROLLBACK", { reason: "counter_rollback", storedCounter: credential.counter.toString() }, new AppError("PASSKEY_FAILED", { reason: "counter_rollback" }));
    }
    throw await refuse("LOGIN_FAILURE", verified.reason ? { reason: verified.reason } : {}, failed());
  }

  // the gate every sign-in passes (the statement below checks it again under the row lock)
  assertMaySignIn(credential, now);
  const started = await startPasskeySession(ctx, credential, verified.newCounter, now, meta);
  if (started) return started;
  // nothing matched: the account locked meanwhile, or a concurrent assertion moved the counter first
  const user = await ctx.db.user.findUnique({ where: { id: credential.userId }, select: { twoFactorLockedUntil: true } });
  if (user) assertMaySignIn(user, now);
  throw failed();
}

/**
 * ONE statement: the passkey's counter and lastUsedAt move only while the counter is the one
 * verified against and the gate holds; the failure window is reset, the Session inserted, the
 * success audited and the new-device email queued only if that matched.
 */
async function startPasskeySession(ctx: Context, credential: Credential, newCounter: number, now: number, meta: RequestMeta): Promise<{ user: SessionUser; session: SessionState } | null> {
  const { userId } = credential;
  const session = { id: newSessionId(), authMethod: "passkey" as const, nowMs: now, meta };
  const idOfU = Prisma.sql`(SELECT "id" FROM u)`;
  const succeeded = Prisma.sql`EXISTS (SELECT 1 FROM u)`;
  const rows = await ctx.db.$queryRaw<{ id: string; email: string; role: string; tokenVersion: number; twoFactorEnabled: boolean }[]>`
    WITH f AS (
      -- it just signed in without an allow-list: it is discoverable, whatever registration said
      UPDATE "Passkey" SET "counter" = ${newCounter}, "lastUsedAt" = ${sqlTime(now)}, "discoverable" = true
      WHERE "id" = ${credential.id} AND "userId" = ${userId} AND "counter" = ${credential.counter}
        AND EXISTS (SELECT 1 FROM "User" WHERE "id" = ${userId} AND ${sqlMaySignIn(now)})
      RETURNING "userId"
    ), u AS (
      UPDATE "User" SET "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL, "twoFactorLockedUntil" = NULL
      WHERE "id" = (SELECT "userId" FROM f) AND ${sqlMaySignIn(now)}
      RETURNING "id", "email", "role", "tokenVersion"
    ), s AS (${sqlInsertSession(idOfU, session)} WHERE ${succeeded}),
    a AS (${sqlAuditInsert(idOfU, "LOGIN_SUCCESS", meta, { method: "passkey", passwordless: true, passkeyId: credential.id })} WHERE ${succeeded}),
    m AS (${sqlEnqueueMail(idOfU, "new_device_sign_in", { ...eventData(meta, now), method: "passkey" }, now, {
      when: Prisma.sql`${succeeded} AND ${sqlUnseenDevice(userId, meta.userAgent)}`,
    })})
    SELECT "id", "email", "role"::text AS "role", "tokenVersion", ${sqlTwoFactorOn(Prisma.sql`u."id"`)} AS "twoFactorEnabled" FROM u`;
  const row = rows[0];
  if (!row) return null;
  return { user: { ...row, role: row.role as Role }, session: insertedSessionState(row.id, session) };
}
