import type { Role } from "@prisma/client";
import type { Db } from "../db/prisma";
import { hashPassword } from "./password";

export interface CreateUserInput {
  email: string;
  /** used for a new account, and for an existing one only with resetPassword */
  password: string;
  role: Role;
  /** existing account: set this password and bump tokenVersion (every session ends) */
  resetPassword?: boolean;
}

export interface CreateUserResult {
  id: string;
  email: string;
  role: Role;
  /** "exists": the account was there already; its password changed only if passwordReset */
  outcome: "created" | "exists";
  /** an existing USER asked for as ADMIN was made ADMIN (a role is never lowered here) */
  promoted: boolean;
  passwordReset: boolean;
}

const SELECT = { id: true, email: true, role: true } as const;

const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === "P2002";

/**
 * Creates a user directly (CLI, seeding); the HTTP path is auth.service registerUser. An
 * existing account is reported, not overwritten: its password changes only with resetPassword.
 */
export async function createUser(db: Db, input: CreateUserInput): Promise<CreateUserResult> {
  const email = input.email.trim().toLowerCase();
  let existing = await db.user.findUnique({ where: { email }, select: SELECT });
  if (!existing) {
    const passwordHash = await hashPassword(input.password);
    try {
      const user = await db.user.create({ data: { email, passwordHash, role: input.role }, select: SELECT });
      return { ...user, outcome: "created", promoted: false, passwordReset: false };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      existing = await db.user.findUniqueOrThrow({ where: { email }, select: SELECT }); // created meanwhile
    }
  }
  const promoted = input.role === "ADMIN" && existing.role !== "ADMIN";
  if (!promoted && !input.resetPassword) return { ...existing, outcome: "exists", promoted, passwordReset: false };
  const user = await db.user.update({
    where: { email },
    data: {
      ...(promoted ? { role: "ADMIN" as const } : {}),
      // tokenVersion++ ends every session of the account at once (DESIGN §4)
      ...(input.resetPassword ? { passwordHash: await hashPassword(input.password), tokenVersion: { increment: 1 } } : {}),
    },
    select: SELECT,
  });
  return { ...user, outcome: "exists", promoted, passwordReset: !!input.resetPassword };
}
