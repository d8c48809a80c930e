// A passkey as a second factor (./../factor.ts): the second step of a login and the step-up proof
// for a security change.
//
// Login: POST /auth/2fa/passkey-options stores the challenge on the LoginChallenge (replacing an
// earlier one); verify-login loads it, this factor checks the assertion against it and hands
// back ONE guarded UPDATE of the Passkey row (counter + lastUsedAt, only while the counter is
// still the one we verified against) plus a guard on the LoginChallenge (its webauthnChallenge
// must still be the one verified). The challenge is consumed by the same statement, so of N
// requests carrying one assertion exactly one passes; the others find the challenge consumed.
//
// Step-up: POST /auth/2fa/passkeys/proof-options stores a WebAuthnChallenge of purpose "proof" for
// the caller's session; the factor takes it (single use) before verifying, and the step-up's
// statement moves the counter under the lock condition.
//
// Every refusal is PASSKEY_FAILED {attemptsRemaining, reason?}, counted in the per-account budget
// (and the login challenge's 5) like a wrong code; a counter that did not move forward is audited
// as PASSKEY_COUNTER_ROLLBACK (by the same statement that counts it). A response that cannot be
// decoded is 400 VALIDATION_FAILED: nothing taken, stored or counted.
import { Prisma } from "@prisma/client";
import type { Context } from "../../context";
import { sqlTime } from "../../db/sql";
import { AppError } from "../../http/errors";
import type { AuditEventType } from "../../security/audit";
import { assertNotLocked, MAX_CHALLENGE_FAILURES } from "../../security/budget";
import type { Factor, FactorInput, Refusal, Verdict } from "../factor";
import { storeChallenge, takeChallenge } from "./challenges";
import { credentialRefs } from "./passkeys";
import type { AuthenticationResponseBody } from "./passkey.schemas";
import {
  authenticationOptions,
  challengeOf,
  checkAuthenticationShape,
  verifyAuthentication,
  type AuthenticationResponseJSON,
  type PasskeyRefusalReason,
  type PublicKeyCredentialRequestOptionsJSON,
} from "./webauthn";

const malformed = (field: string, message: string) => new AppError("VALIDATION_FAILED", { fields: [{ field, message }] });

interface StoredPasskey {
  id: string;
  credentialId: string;
  publicKey: Uint8Array;
  counter: bigint;
}

/** The user's passkey named by the response's credential id — another user's is simply unknown. */
async function findPasskey(ctx: Context, userId: string, credentialId: string): Promise<StoredPasskey | null> {
  return ctx.db.passkey.findFirst({ where: { userId, credentialId }, select: { id: true, credentialId: true, publicKey: true, counter: true } });
}

type Checked = { ok: true; passkey: StoredPasskey; newCounter: number } | { ok: false; reason?: PasskeyRefusalReason; audit: AuditEventType; detail: Record<string, unknown> };

/** Verifies an assertion against `expectedChallenge` and the user's stored key (no writes). */
async function checkAssertion(ctx: Context, userId: string, response: AuthenticationResponseJSON, expectedChallenge: string, field: string): Promise<Checked> {
  const passkey = await findPasskey(ctx, userId, response.id);
  if (!passkey) return { ok: false, reason: "unknown_credential", audit: "TWOFA_VERIFY_FAILURE", detail: { method: "passkey", reason: "unknown_credential" } };
  const result = await verifyAuthentication(ctx.config.webauthn, response, expectedChallenge, passkey);
  if (result.ok) return { ok: true, passkey, newCounter: result.newCounter };
  if (result.malformed) throw malformed(field, result.message);
  if (result.reason === "counter_rollback") {
    // The signature is right but the counter is not newer: a cloned key, or a replay of an old
    // assertion that somehow got a fresh challenge. Refused, and audited as what it may be.
    return { ok: false, reason: "counter_rollback", audit: "PASSKEY_COUNTER_ROLLBACK", detail: { method: "passkey", passkeyId: passkey.id, storedCounter: passkey.counter.toString(), reason: "counter_rollback" } };
  }
  return { ok: false, reason: result.reason, audit: "TWOFA_VERIFY_FAILURE", detail: { method: "passkey", passkeyId: passkey.id, ...(result.reason ? { reason: result.reason } : {}) } };
}

const refusal = (reason: PasskeyRefusalReason | undefined, audit: AuditEventType, detail: Record<string, unknown>): Refusal => ({
  type: audit,
  detail,
  errorCode: "PASSKEY_FAILED",
  extra: reason ? { reason } : {},
});

/**
 * The challenge this assertion must answer: at login the one stored on the LoginChallenge (the
 * response must carry exactly it); as a step-up the session's proof challenge, TAKEN here (single
 * use, this user + this session, DELETE ... RETURNING) so a replayed response finds nothing.
 * null: no such challenge.
 */
async function expectedChallenge(input: FactorInput<unknown>, response: AuthenticationResponseJSON): Promise<string | null> {
  const { ctx, user, site, nowMs } = input;
  const answered = challengeOf(response);
  if (!answered) return null;
  if (site.kind === "login") return site.challenge.webauthnChallenge === answered ? answered : null;
  return (await takeChallenge(ctx.db, { userId: user.userId, sessionId: site.sessionId }, "proof", answered, nowMs)) ? answered : null;
}

/** The {passkey} factor: the login's code step and the step-up proof. */
export const passkeyFactor: Factor<{ passkey: AuthenticationResponseBody }> = {
  async verify(input): Promise<Verdict> {
    const { ctx, user, site, proof, nowMs } = input;
    const response = proof.passkey as AuthenticationResponseJSON;
    const shape = checkAuthenticationShape(response);
    if (shape) throw malformed("passkey", shape.message);
    const expected = await expectedChallenge(input, response);
    // no options asked for, an older or another session's challenge, or one already used
    if (!expected) return { refused: refusal("challenge", "TWOFA_VERIFY_FAILURE", { method: "passkey", reason: "challenge" }) };
    const checked = await checkAssertion(ctx, user.userId, response, expected, "passkey");
    if (!checked.ok) return { refused: refusal(checked.reason, checked.audit, checked.detail) };
    const { passkey, newCounter } = checked;
    return {
      accepted: {
        method: "passkey",
        // Guarded on the counter we verified against: a second assertion racing this one (or a
        // clone) cannot also move it. Runs first in the caller's statement.
        spend: (when) => Prisma.sql`
          UPDATE "Passkey" SET "counter" = ${newCounter}, "lastUsedAt" = ${sqlTime(nowMs)}
          WHERE "id" = ${passkey.id} AND "userId" = ${user.userId} AND "counter" = ${passkey.counter} AND ${when}
          RETURNING "userId"`,
        // at login the LoginChallenge must still hold the challenge that was verified (not a newer one)
        ...(site.kind === "login" ? { challengeGuard: Prisma.sql`"webauthnChallenge" = ${expected}` } : {}),
        lostRace: async () => refusal(site.kind === "login" ? "challenge" : undefined, "TWOFA_VERIFY_FAILURE", { method: "passkey", passkeyId: passkey.id, reason: "challenge", race: true }),
      },
    };
  },
};

/**
 * POST /auth/2fa/passkey-options: request options for the code step of a login half-way. The
 * challenge is written on the LoginChallenge only while it is live (one statement), replacing an
 * earlier one: a response to an older challenge no longer passes.
 */
export async function passkeyLoginOptions(ctx: Context, token: { sub: string; n: string }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const now = ctx.clock.now();
  const live = Prisma.sql`"id" = ${token.n} AND "userId" = ${token.sub} AND "consumedAt" IS NULL
    AND "expiresAt" > ${sqlTime(now)} AND "failedAttempts" < ${MAX_CHALLENGE_FAILURES}`;
  const [found] = await ctx.db.$queryRaw<{ userId: string; lockedUntil: Date | null }[]>`
    SELECT c."userId", (SELECT u."twoFactorLockedUntil" FROM "User" u WHERE u."id" = c."userId") AS "lockedUntil"
    FROM "LoginChallenge" c WHERE ${live}`;
  if (!found) throw new AppError("SESSION_EXPIRED");
  assertNotLocked(found.lockedUntil, now);
  const refs = await credentialRefs(ctx.db, found.userId);
  if (refs.length === 0) throw new AppError("PASSKEY_NOT_REGISTERED");
  const options = await authenticationOptions(ctx.config.webauthn, refs);
  const stored = await ctx.db.$executeRaw`UPDATE "LoginChallenge" SET "webauthnChallenge" = ${options.challenge} WHERE ${live}`;
  if (stored !== 1) throw new AppError("SESSION_EXPIRED");
  return options;
}

/** POST /auth/2fa/passkeys/proof-options: options for a passkey as proof, bound to this session. */
export async function passkeyProofOptions(ctx: Context, owner: { userId: string; sessionId: string }): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const refs = await credentialRefs(ctx.db, owner.userId);
  if (refs.length === 0) throw new AppError("PASSKEY_NOT_REGISTERED");
  const options = await authenticationOptions(ctx.config.webauthn, refs);
  await storeChallenge(ctx.db, owner, "proof", options.challenge, ctx.clock.now());
  return options;
}
