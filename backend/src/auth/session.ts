// The user as an authenticated request sees it. Sessions themselves live in ../sessions/.
import type { Role } from "@prisma/client";
import type { Context } from "../context";
import type { Db } from "../db/prisma";
import { FACTOR_SELECT, factorsOf, anyFactor, type FactorRow } from "../two-factor/factors";

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
  tokenVersion: number;
  /** derived: a TotpCredential or at least one Passkey (two-factor/factors.ts) */
  twoFactorEnabled: boolean;
}

/** A Prisma select that gives what `toSessionUser` needs ("2FA on" is derived from the factor tables). */
export const SESSION_USER_SELECT = { id: true, email: true, role: true, tokenVersion: true, ...FACTOR_SELECT } as const;

export type SessionUserRow = { id: string; email: string; role: Role; tokenVersion: number } & FactorRow;

export function toSessionUser(row: SessionUserRow): SessionUser {
  return { id: row.id, email: row.email, role: row.role, tokenVersion: row.tokenVersion, twoFactorEnabled: anyFactor(factorsOf(row)) };
}

/** The user as it is now (after a change in a transaction, pass the transaction client). */
export async function loadSessionUser(db: Pick<Db, "user">, userId: string): Promise<SessionUser> {
  return toSessionUser(await db.user.findUniqueOrThrow({ where: { id: userId }, select: SESSION_USER_SELECT }));
}

export function publicUser(user: SessionUser) {
  return { id: user.id, email: user.email, role: user.role, twoFactorEnabled: user.twoFactorEnabled };
}

export const nowSeconds = (ctx: Context) => Math.floor(ctx.clock.now() / 1000);
