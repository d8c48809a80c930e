// Backup codes: 10 single-use codes "xxxx-xxxx" from an alphabet without look-alikes
// (no 0/o, 1/l/i). Stored as HMAC-SHA256 under a server key, so a database leak alone does
// not reveal them (and 40 bits of entropy would be brute-forceable as a plain hash).
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Db } from "../../db/prisma";
import { sqlTime } from "../../db/sql";

export const BACKUP_CODE_COUNT = 10;
const ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // 31 symbols
const GROUP = 4;

export function generateBackupCodes(count = BACKUP_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    let raw = "";
    for (let i = 0; i < GROUP * 2; i++) raw += ALPHABET[crypto.randomInt(ALPHABET.length)];
    return `${raw.slice(0, GROUP)}-${raw.slice(GROUP)}`;
  });
}

/** Accepts what people type: any case, with or without the dash or spaces. null if malformed. */
export function normalizeBackupCode(input: string): string | null {
  const compact = input.toLowerCase().replace(/[\s-]/g, "");
  if (compact.length !== GROUP * 2 || [...compact].some((ch) => !ALPHABET.includes(ch))) return null;
  return `${compact.slice(0, GROUP)}-${compact.slice(GROUP)}`;
}

export function hashBackupCode(key: string, normalizedCode: string): string {
  return crypto.createHmac("sha256", key).update(normalizedCode).digest("hex");
}

/** The keyed hash of what the user typed, or null when it cannot be one of our codes. */
export function backupCodeHash(key: string, input: string): string | null {
  const normalized = normalizeBackupCode(input);
  return normalized ? hashBackupCode(key, normalized) : null;
}

/**
 * Burns one unused backup code: ONE guarded UPDATE (usable as a data-modifying CTE), RETURNING
 * "userId". Of two requests with the same code only the first matches "usedAt" IS NULL (the
 * second re-checks it after the first commits). `when` adds the caller's conditions.
 */
export function sqlBurnBackupCode(args: { userId: string; codeHash: string; nowMs: number; when?: Prisma.Sql }): Prisma.Sql {
  return Prisma.sql`UPDATE "BackupCode" SET "usedAt" = ${sqlTime(args.nowMs)}
    WHERE "userId" = ${args.userId} AND "codeHash" = ${args.codeHash} AND "usedAt" IS NULL AND ${args.when ?? Prisma.sql`TRUE`}
    RETURNING "userId"`;
}

/** "N left" in a statement that burns one code: its snapshot still counts that code as unused. */
export const sqlBackupCodesLeftAfterBurn = (userId: string) =>
  Prisma.sql`(SELECT count(*)::int - 1 FROM "BackupCode" WHERE "userId" = ${userId} AND "usedAt" IS NULL)`;

/** A new set of codes (the old ones void), inside the caller's transaction; returns them in clear, once. */
export async function replaceBackupCodes(tx: Pick<Db, "backupCode">, key: string, userId: string): Promise<string[]> {
  const codes = generateBackupCodes();
  await tx.backupCode.deleteMany({ where: { userId } });
  await tx.backupCode.createMany({ data: codes.map((code) => ({ userId, codeHash: hashBackupCode(key, code) })) });
  return codes;
}
