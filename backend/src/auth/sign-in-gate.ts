// "May this user get a session now?" — ONE decision for every sign-in that creates a session
// (issue 20): the password step (no 2FA, or a remembered device), the code step of a login
// (two-factor/verify-login.ts) and the passwordless passkey sign-in (two-factor/passkey/passkey-login.ts).
// A new rule for sign-in goes here and every path obeys it.
//
// Today: an account locked by the proof budget (security/budget.ts, DESIGN §6 rules 4 and 12: 5
// wrong proofs per 15 minutes) gets no session, whatever it proves — 429 TOO_MANY_ATTEMPTS with
// Retry-After. (A user who must set up 2FA and has not still gets a session: authenticate() then
// answers 403 TWOFA_SETUP_REQUIRED on every route but setup — two-factor/enforcement.ts. A
// revoked session is not a sign-in: authenticate() refuses it.)
import type { Prisma } from "@prisma/client";
import { assertNotLocked, sqlNotLocked } from "../security/budget";

/** What the gate reads of the user (the caller loads it with the user). */
export interface GateState {
  twoFactorLockedUntil: Date | null;
}

/** Throws the refusal (429 TOO_MANY_ATTEMPTS) when this user may not get a session at `nowMs`. */
export function assertMaySignIn(user: GateState, nowMs: number): void {
  assertNotLocked(user.twoFactorLockedUntil, nowMs);
}

/**
 * The same rule as a condition on the "User" row, for the WHERE clause of the statement that
 * inserts the session (the lock may engage between the read and the write: the statement decides).
 */
export const sqlMaySignIn = (nowMs: number): Prisma.Sql => sqlNotLocked(nowMs);
