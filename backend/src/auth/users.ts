import type { Role } from "@prisma/client";
import type { Db } from "../db/prisma";
import { revokeOtherSessions } from "../sessions/sessions";
import { forgetTrustedDevices } from "../sessions/trusted-devices";
import { newAuditId } from "../security/audit";
import { hashPassword } from "./password";

export interface CreateUserInput {
  email: string;
  /** used for a new account, and for an existing one only with resetPassword */
  password: string;
  role: Role;
  /** existing account: set this password; every session and remembered device of it ends */
  resetPassword?: boolean;
  /** for the revocation timestamps (tests inject a clock) */
  nowMs?: number;
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
  if (!input.resetPassword) {
    const user = promoted ? await db.user.update({ where: { id: existing.id }, data: { role: "ADMIN" }, select: SELECT }) : existing;
    return { ...user, outcome: "exists", promoted, passwordReset: false };
  }
  // An admin reset (DESIGN §4): tokenVersion++ kills every token already issued, and every
  // session row and remembered device of the account ends with it — one batch transaction.
  const now = input.nowMs ?? Date.now();
  const passwordHash = await hashPassword(input.password);
  const [user] = await db.$transaction([
    db.user.update({
      where: { id: existing.id },
      data: { passwordHash, tokenVersion: { increment: 1 }, ...(promoted ? { role: "ADMIN" as const } : {}) },
      select: SELECT,
    }),
    revokeOtherSessions(db, existing.id, null, now, "password_reset"),
    forgetTrustedDevices(db, existing.id),
    db.auditEvent.create({ data: { id: newAuditId(), userId: existing.id, type: "SESSIONS_REVOKED", detail: { scope: "all", reason: "password_reset" } } }),
  ]);
  return { ...user, outcome: "exists", promoted, passwordReset: true };
}
