import type { Db } from "../db/prisma";

/** Challenges past their expiry are worthless; keep an hour for forensics, then delete. */
export async function pruneLoginChallenges(db: Db, nowMs: number, keepMs = 60 * 60 * 1000): Promise<number> {
  const { count } = await db.loginChallenge.deleteMany({ where: { expiresAt: { lt: new Date(nowMs - keepMs) } } });
  return count;
}
