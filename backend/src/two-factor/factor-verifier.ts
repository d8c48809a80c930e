// The contract between the login's code step (./verify-login.ts, the ONE entry point) and the
// verifier of each factor (./totp/verify.ts, ./backup-codes/verify.ts, ./passkey/verify.ts).
//
// verify-login.ts does the shared part: load the challenge (one statement), check it is live and
// the account not locked, dispatch on the kind of proof, then either
//  - record a refusal in the budget (one statement), or
//  - run ONE consume statement: the verifier's `spend` (its guarded UPDATE of its own credential
//    row), then the challenge consumed, the user's failure window reset under the lock condition,
//    the Session row inserted, audits and mails — all only if the spend matched.
// A verifier does no writing of its own on success: it decides, and hands back SQL.
import type { Prisma } from "@prisma/client";
import type { Context } from "../context";
import type { AppError } from "../http/errors";
import type { AuditEventType, RequestMeta } from "../security/audit";
import type { CodeRefusal } from "../security/code-refusal";

/** What the load statement read: the challenge, the user's lock, and the user's factors. */
export interface LoadedChallenge {
  id: string;
  userId: string;
  expiresAt: Date;
  consumedAt: Date | null;
  failedAttempts: number;
  lockedUntil: Date | null;
  /** set by POST /auth/2fa/passkey-options (LoginChallenge.webauthnChallenge) */
  webauthnChallenge: string | null;
  /** the confirmed TOTP credential, if any */
  totp: { id: string; secret: string; lastStep: number | null } | null;
  /** how many passkeys the user has */
  passkeys: number;
}

export interface VerifierInput<P> {
  ctx: Context;
  challenge: LoadedChallenge;
  proof: P;
  meta: RequestMeta;
  nowMs: number;
}

/** A wrong proof: counted in the budget (per account and per challenge) and audited as `type`. */
export interface Refusal {
  type: AuditEventType;
  /** audit detail (`method` at least); never the secret or the code */
  detail: Record<string, unknown>;
  /** why a code was refused (DESIGN §5 `reason`), for INVALID_CODE */
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
   * usedAt IS NULL; passkey: the signature counter). `when` is verify-login's condition (challenge
   * still live, account not locked) to AND into its WHERE clause. It runs first; nothing else is
   * written unless it matched.
   */
  spend(when: Prisma.Sql): Prisma.Sql;
  /** an extra condition on the LoginChallenge row being consumed (passkey: its webauthnChallenge is the one verified) */
  challengeGuard?: Prisma.Sql;
  /**
   * Extra CTEs ("name AS (...)") of the consume statement, e.g. an audit row or a mail; `succeeded`
   * is the SQL condition "the login went through" to put in their WHERE / `when`.
   */
  alsoWrite?(succeeded: Prisma.Sql): Prisma.Sql[];
  /**
   * The consume statement matched nothing although the load looked fine, and the challenge is
   * still live and the account unlocked: a concurrent request spent this proof first. The refusal
   * to record (a replay, a used backup code), or an error to throw as is.
   */
  lostRace(): Promise<Refusal | AppError>;
}

export type Verdict = { accepted: Acceptance } | { refused: Refusal };

/** One per factor; verify-login.ts picks it by the proof's key ({code}, {backupCode}, {passkey}). */
export interface FactorVerifier<P> {
  verify(input: VerifierInput<P>): Promise<Verdict>;
}
