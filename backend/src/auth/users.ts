import type { Role } from "@prisma/client";
import type { Db } from "../db/prisma";
import { hashPassword } from "./password";

/** Creates a user directly (CLI, seeding); the HTTP path is auth.service registerUser. */
export async function createUser(db: Db, input: { email: string; password: string; role: Role }) {
  const email = input.email.trim().toLowerCase();
  const passwordHash = await hashPassword(input.password);
  return db.user.upsert({
    where: { email },
    create: { email, passwordHash, role: input.role },
    // re-running makes the existing account an admin and resets its password
    update: { passwordHash, role: input.role, tokenVersion: { increment: 1 } },
    select: { id: true, email: true, role: true },
  });
}
