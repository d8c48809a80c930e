// One interface for every second factor (TOTP code, backup code, passkey), used at both places a
// second factor is proven (DESIGN §6 rules 1, 2, 7, 12):
//  - the login's code step (./verify-login.ts): the proof completes a login half-way, a LoginChallenge;
//  - a step-up (./step-up.ts): a signed-in session proves the factor again, with the password, to
//    make a security change.
// A factor DECIDES and hands back SQL; the caller writes. It accepts with the guarded UPDATE that
// spends its own credential row (run first in the caller's one statement, which then consumes the
// challenge or resets the failure window only if the spend matched), or refuses with a reason that
// the caller counts in the budget (one statement). The caller also decides what a refusal may say
// (before the second factor is proven: rule 19). The only write a factor makes itself is taking a
// single-use WebAuthn challenge of a step-up (DELETE ... RETURNING), before it verifies.
import type { Prisma } from "@prisma/client";
import type { Context } from "../context";
import type { AppError } from "../http/errors";
import type { AuditEventType, RequestMeta } from "../security/audit";
import type { CodeRefusal } from "../security/code-refusal";
import type { AuthenticationResponseBody } from "./passkey/passkey.schemas";

/** A second-factor proof in a request body: exactly one of these. */
export type SecondFactorProof = { code: string } | { backupCode: string } | { passkey: AuthenticationResponseBody };

/** The user's factors as the caller read them (the login: with the challenge, in one statement). */
export interface FactorState {
  userId: string;
  /** the confirmed TOTP credential, if any */
  totp: { id: string; secret: string; lastStep: number | null } | null;
  /** how many passkeys the user has */
  passkeys: number;
}

/** What the login's load statement read: the challenge, the user's lock, and the user's factors. */
export interface LoadedChallenge extends FactorState {
  id: string;
  expiresAt: Date;
  consumedAt: Date | null;
  failedAttempts: number;
  lockedUntil: Date | null;
  /** set by POST /auth/2fa/passkey-options (LoginChallenge.webauthnChallenge) */
  webauthnChallenge: string | null;
}

/** Where the proof is given. */
export type ProofSite =
  | { kind: "login"; challenge: LoadedChallenge }
  /** `purpose` names the change in audit rows ("disable", "backup_codes", "passkey_add", ...) */
  | { kind: "step_up"; sessionId: string; purpose: string };

export interface FactorInput<P> {
  ctx: Context;
  user: FactorState;
  site: ProofSite;
  proof: P;
  meta: RequestMeta;
  nowMs: number;
}

/** A wrong proof: counted in the budget (per account, and per challenge at login) and audited as `type`. */
export interface Refusal {
  type: AuditEventType;
  /** audit detail (`method` at least); never the secret or the code */
  detail: Record<string, unknown>;
  /** why a code was refused (DESIGN §5 `reason`); the caller decides whether the answer says it */
  refusal?: CodeRefusal;
  /** the answer's code: INVALID_CODE by default; a passkey answers PASSKEY_FAILED */
  errorCode?: "INVALID_CODE" | "PASSKEY_FAILED";
  /** more fields of the answer (e.g. a passkey's `reason`) */
  extra?: Record<string, unknown>;
}

export interface Acceptance {
  /** Session.authMethod and the audit detail's `method` */
  method: "totp" | "backup_code" | "passkey";
  /**
   * ONE data-modifying statement on this factor's own credential row, RETURNING "userId", guarded
   * so that of racing requests only one matches (TOTP: step newer than lastStep; backup code:
   * usedAt IS NULL; passkey: the signature counter). `when` is the caller's condition (account
   * not locked; at login also the challenge still live) to AND into its WHERE clause. It runs
   * first; nothing else is written unless it matched.
   */
  spend(when: Prisma.Sql): Prisma.Sql;
  /** login only: an extra condition on the LoginChallenge row being consumed (passkey: its webauthnChallenge is the one verified) */
  challengeGuard?: Prisma.Sql;
  /**
   * Extra CTEs ("name AS (...)") of the caller's statement, e.g. an audit row or a mail; `succeeded`
   * is the SQL condition "the proof went through" to put in their WHERE / `when`.
   */
  alsoWrite?(succeeded: Prisma.Sql): Prisma.Sql[];
  /**
   * The caller's statement matched nothing although the account is unlocked (and at login the
   * challenge still live): a concurrent request spent this proof first. The refusal to record
   * (a replay, a used backup code), or an error to throw as is.
   */
  lostRace(): Promise<Refusal | AppError>;
}

export type Verdict = { accepted: Acceptance } | { refused: Refusal };

export interface Factor<P> {
  verify(input: FactorInput<P>): Promise<Verdict>;
}
