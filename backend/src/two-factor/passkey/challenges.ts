// WebAuthn challenges issued to a signed-in session (adding a passkey, a passkey as proof):
// stored server-side, one per session and purpose (a newer one replaces the older one), five
// minutes, single use. The login step keeps its challenge on the LoginChallenge instead (verify.ts).
import type { WebAuthnPurpose } from "@prisma/client";
import type { Db } from "../../db/prisma";
import { sqlTime } from "../../db/sql";
import { CHALLENGE_TTL_MS } from "./webauthn";

export interface ChallengeOwner {
  userId: string;
  sessionId: string;
}

/**
 * The row's id is the session and purpose, so issuing is one upsert: two concurrent option
 * requests of one session leave exactly one live challenge (the later one), never two.
 */
const rowId = (owner: ChallengeOwner, purpose: WebAuthnPurpose) => `${purpose}:${owner.sessionId}`;

export async function storeChallenge(db: Pick<Db, "$executeRaw">, owner: ChallengeOwner, purpose: WebAuthnPurpose, challenge: string, nowMs: number): Promise<void> {
  const expiresAt = sqlTime(nowMs + CHALLENGE_TTL_MS);
  await db.$executeRaw`
    INSERT INTO "WebAuthnChallenge" ("id", "userId", "sessionId", "purpose", "challenge", "expiresAt", "createdAt")
    VALUES (${rowId(owner, purpose)}, ${owner.userId}, ${owner.sessionId}, ${purpose}::"WebAuthnPurpose", ${challenge}, ${expiresAt}, ${sqlTime(nowMs)})
    ON CONFLICT ("id") DO UPDATE SET "userId" = EXCLUDED."userId", "challenge" = EXCLUDED."challenge",
      "expiresAt" = EXCLUDED."expiresAt", "createdAt" = EXCLUDED."createdAt"`;
}

/**
 * Takes the challenge a response answers — single use, in one statement: DELETE ... RETURNING
 * bound to the user, the session, the purpose and the exact challenge, and only while it lives.
 * Of two requests carrying the same response only one gets it. Returns false when there is none
 * (never issued, another session's or user's, already taken, expired, or replaced by a newer one).
 */
export async function takeChallenge(db: Pick<Db, "$queryRaw">, owner: ChallengeOwner, purpose: WebAuthnPurpose, challenge: string, nowMs: number): Promise<boolean> {
  const rows = await db.$queryRaw<{ challenge: string }[]>`
    DELETE FROM "WebAuthnChallenge"
    WHERE "id" = ${rowId(owner, purpose)} AND "userId" = ${owner.userId} AND "sessionId" = ${owner.sessionId}
      AND "purpose" = ${purpose}::"WebAuthnPurpose" AND "challenge" = ${challenge} AND "expiresAt" > ${sqlTime(nowMs)}
    RETURNING "challenge"`;
  return rows.length === 1;
}
