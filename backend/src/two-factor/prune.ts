import type { Db } from "../db/prisma";

/** Challenges past their expiry are worthless; keep an hour for forensics, then delete. */
export async function pruneLoginChallenges(db: Db, nowMs: number, keepMs = 60 * 60 * 1000): Promise<number> {
  const before = new Date(nowMs - keepMs);
  const { count } = await db.loginChallenge.deleteMany({ where: { expiresAt: { lt: before } } });
  // WebAuthn challenges of signed-in sessions (adding a passkey, a passkey as proof) that were never answered
  const webauthn = await db.webAuthnChallenge.deleteMany({ where: { expiresAt: { lt: before } } });
  // passwordless sign-in challenges (POST /auth/passkey/options) that were never answered
  const signIn = await db.passkeyLoginChallenge.deleteMany({ where: { expiresAt: { lt: before } } });
  return count + webauthn.count + signIn.count;
}
