// What "2FA on" means since issue 13: the user has at least one second factor — a confirmed
// TotpCredential or a Passkey. It is derived (SQL EXISTS) wherever it is needed, never stored, so
// it cannot disagree with the credential tables. `SessionUser.twoFactorEnabled` and the API's
// `twoFactorEnabled` keep their names and mean exactly this.
//
// Adding or removing a factor decides "is this the first / the last one?" (backup codes are issued
// with the first factor and deleted with the last). Two changes racing (TOTP enable + passkey add)
// must not both think they are the first, so every transaction that adds or removes a factor
// follows one protocol: lock the user's row FIRST (`lockUserForFactorChange`, it also bumps
// tokenVersion, which every factor change does anyway), then read the other factors with
// `otherFactors` in a later statement (READ COMMITTED: a statement that starts after the lock sees
// what the transaction that held it before committed).
import { Prisma } from "@prisma/client";
import type { Db } from "../db/prisma";

export type FactorKind = "totp" | "passkey";
/** What the second login step may take (POST /auth/login `methods`). */
export type LoginMethod = "totp" | "passkey" | "backup_code";

/** "2FA on" for the user whose id is `userId` (an SQL expression, e.g. u."id"): one boolean. */
export function sqlTwoFactorOn(userId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(EXISTS (SELECT 1 FROM "TotpCredential" tc WHERE tc."userId" = ${userId})
    OR EXISTS (SELECT 1 FROM "Passkey" pk WHERE pk."userId" = ${userId}))`;
}

/** The factors a user has, from a Prisma select of `FACTOR_SELECT`. */
export const FACTOR_SELECT = { totpCredential: { select: { id: true } }, _count: { select: { passkeys: true } } } as const;
export interface FactorRow {
  totpCredential: { id: string } | null;
  _count: { passkeys: number };
}
export const factorsOf = (row: FactorRow) => ({ totp: row.totpCredential !== null, passkeys: row._count.passkeys });

/** POST /auth/login `methods`: backup codes whenever 2FA is on, then each kind of factor present. */
export function loginMethods(factors: { totp: boolean; passkeys: number }): LoginMethod[] {
  const methods: LoginMethod[] = [];
  if (factors.totp) methods.push("totp");
  if (factors.passkeys > 0) methods.push("passkey");
  if (methods.length > 0) methods.push("backup_code");
  return methods;
}

type Tx = Pick<Db, "$executeRaw" | "$queryRaw">;

/**
 * First statement of a transaction that adds or removes a factor: takes the user's row lock
 * (serialising every factor change of this user) and bumps tokenVersion (every other token dies).
 * Returns false when the user is gone. `extra` sets more columns in the same UPDATE.
 *
 * `actor`: the session making the change must still be alive once the lock is held. Its token
 * was checked before the request waited for the lock; meanwhile a concurrent factor change (or
 * logout-all) may have bumped tokenVersion, or "sign out other sessions" revoked it. Without
 * this guard a session that a change had just ended still added its own passkey after it (and
 * then ended the session of whoever ended it): review attack, test/factor-attacks.test.ts.
 * Returns false then too (the caller answers 401 UNAUTHENTICATED and rolls back).
 */
export async function lockUserForFactorChange(
  tx: Tx,
  userId: string,
  extra: Prisma.Sql = Prisma.empty,
  actor?: { tokenVersion: number; sessionId: string },
): Promise<boolean> {
  const alive = actor ? Prisma.sql`AND ${sqlActorAlive(userId, actor)}` : Prisma.empty;
  const n = await tx.$executeRaw`UPDATE "User" SET "tokenVersion" = "tokenVersion" + 1, ${extra} "updatedAt" = now() WHERE "id" = ${userId} ${alive}`;
  return n === 1;
}

/**
 * For the WHERE clause of the locking UPDATE of "User": the session making a factor change is still
 * alive (its tokenVersion current, its Session row not revoked) once the row lock is held.
 */
export function sqlActorAlive(userId: string, actor: { tokenVersion: number; sessionId: string }): Prisma.Sql {
  return Prisma.sql`"tokenVersion" = ${actor.tokenVersion}
    AND EXISTS (SELECT 1 FROM "Session" s WHERE s."id" = ${actor.sessionId} AND s."userId" = ${userId} AND s."revokedAt" IS NULL)`;
}

/** Two columns, "totp" (boolean) and "passkeys" (count), for the user whose id is `userId` (an SQL expression). */
export function sqlFactorColumns(userId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`EXISTS (SELECT 1 FROM "TotpCredential" tc WHERE tc."userId" = ${userId}) AS "totp",
    (SELECT count(*)::int FROM "Passkey" pk WHERE pk."userId" = ${userId}) AS "passkeys"`;
}

/** The user's factors as they are now (inside a factor-change transaction: after lockUserForFactorChange). */
export async function readFactors(tx: Tx, userId: string): Promise<{ totp: boolean; passkeys: number }> {
  const [row] = await tx.$queryRaw<{ totp: boolean; passkeys: number }[]>`SELECT ${sqlFactorColumns(Prisma.sql`${userId}`)}`;
  return row;
}

/** The user's factors other than `except`, read after lockUserForFactorChange (see above). */
export async function otherFactors(tx: Tx, userId: string, except: FactorKind): Promise<{ totp: boolean; passkeys: number }> {
  const row = await readFactors(tx, userId);
  return { totp: except === "totp" ? false : row.totp, passkeys: except === "passkey" ? 0 : row.passkeys };
}

export const anyFactor = (f: { totp: boolean; passkeys: number }) => f.totp || f.passkeys > 0;

type FactorTables = Pick<Db, "totpCredential" | "totpSetup" | "passkey" | "webAuthnChallenge" | "backupCode" | "loginChallenge">;

/**
 * 2FA off entirely: every factor, every backup code, any TOTP setup in progress, every WebAuthn
 * challenge and every open login challenge go. Shared by disable, the removal of the last factor
 * and the admin reset. Prisma operations, in this order: put them in a batch `$transaction([...])`
 * or await them one by one inside an interactive one.
 */
export function removeEveryFactor(db: FactorTables, userId: string) {
  return [
    db.totpCredential.deleteMany({ where: { userId } }),
    db.passkey.deleteMany({ where: { userId } }),
    db.totpSetup.deleteMany({ where: { userId } }),
    db.webAuthnChallenge.deleteMany({ where: { userId } }),
    db.backupCode.deleteMany({ where: { userId } }),
    // open login challenges die with the factors they were meant for
    db.loginChallenge.deleteMany({ where: { userId } }),
  ] as const;
}

/** removeEveryFactor inside an interactive transaction; says how many factors it removed. */
export async function removeEveryFactorCounted(tx: FactorTables, userId: string): Promise<{ totp: number; passkeys: number }> {
  const [totp, passkeys, ...rest] = removeEveryFactor(tx, userId);
  const result = { totp: (await totp).count, passkeys: (await passkeys).count };
  for (const op of rest) await op;
  return result;
}
