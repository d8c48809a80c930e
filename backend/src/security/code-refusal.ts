// Why a code was refused, in words that help (DESIGN §5: `reason` on 400 INVALID_CODE).
//  - replay: the code's 30-s step was already used. The answer says how long until the phone
//    shows a newer code (retryInSeconds). The audit row says whether the replay came from the
//    browser (IP + user agent) that had the code accepted: a double submit or a quick second
//    login by the owner reads calmly in the security log; from anywhere else it is a warning.
//  - clock_drift: a wrong code that is the right code of a step 2–10 steps away (totp.ts
//    findTotpDrift). Never accepted, still counted in the budget; driftSeconds is signed
//    (negative: the phone is slow).
//  - backup_code_used: that backup code exists but was spent.
import { Prisma } from "@prisma/client";
import type { Context } from "../context";
import { TOTP_PERIOD_SECONDS, findTotpDrift } from "../two-factor/totp/totp";
import type { RequestMeta } from "./audit";

export type CodeRefusal =
  | { reason: "replay"; retryInSeconds: number }
  | { reason: "clock_drift"; driftSeconds: number }
  | { reason: "backup_code_used" };

export type FailureReason = CodeRefusal["reason"];

/** "1 minute", "a minute and a half", "2 minutes", "45 seconds" (to the nearest half minute from 1 minute). */
export function spokenDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 45) return s === 1 ? "1 second" : `${s} seconds`;
  const halves = Math.max(2, Math.round(s / 30));
  const minutes = Math.floor(halves / 2);
  if (halves % 2 === 0) return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  return minutes === 1 ? "a minute and a half" : `${minutes} and a half minutes`;
}

/** After a successful login whose refused codes showed drift (DESIGN §6 rule 19). */
export function clockDriftMessage(driftSeconds: number): string {
  return `Your authenticator's clock is about ${spokenDuration(driftSeconds)} ${driftSeconds < 0 ? "slow" : "fast"}: set the phone's time to automatic`;
}

/**
 * DESIGN §6 rule 19: what a refusal may say before the second factor is proven. Never how far a
 * code was off: no clock drift, and no replay of a step other than the current one (a code the
 * user just typed twice is still worth saying: wait for the next). A spent backup code reveals
 * no distance. The audit row keeps the whole refusal.
 */
export function refusalBeforeSecondFactor(refused: { refusal?: CodeRefusal; detail: Record<string, unknown> }, nowMs: number): CodeRefusal | undefined {
  const refusal = refused.refusal;
  if (!refusal || refusal.reason === "clock_drift") return undefined;
  if (refusal.reason === "replay" && refused.detail.step !== Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS)) return undefined;
  return refusal;
}

/** The answer's message; the SPA words its own from `reason`, this one serves other clients. */
export function refusalMessage(refusal: CodeRefusal): string {
  switch (refusal.reason) {
    case "replay":
      return refusal.retryInSeconds > 0
        ? `This code was already used. Wait for the next one (about ${refusal.retryInSeconds} s)`
        : "This code was already used. Enter the new code your app shows";
    case "clock_drift":
      return `Your authenticator's clock looks about ${spokenDuration(refusal.driftSeconds)} ${refusal.driftSeconds < 0 ? "slow" : "fast"}: set the phone's time to automatic, then try the next code`;
    case "backup_code_used":
      return "This backup code was already used. Each backup code works once: try another one";
  }
}

/**
 * A replayed code: the phone shows a code newer than `lastStep` (the newest accepted step) when its
 * clock reaches the start of step lastStep + 1; 0 when that code is already showing.
 */
export function replayRefusal(lastStep: number, nowMs: number): CodeRefusal {
  const nextStepStartMs = (lastStep + 1) * TOTP_PERIOD_SECONDS * 1000;
  return { reason: "replay", retryInSeconds: Math.max(0, Math.ceil((nextStepStartMs - nowMs) / 1000)) };
}

/** A wrong code that matches a step 2–10 steps from now: the refusal, else undefined. */
export function driftRefusal(secret: string, code: string, nowMs: number, window: number): CodeRefusal | undefined {
  const drift = findTotpDrift(secret, code, nowMs, window);
  return drift ? { reason: "clock_drift", driftSeconds: drift.driftSeconds } : undefined;
}

/** What the audit row of a refused code keeps about the refusal (never the code). */
export function refusalDetail(refusal: CodeRefusal | undefined): Record<string, unknown> {
  if (!refusal) return {};
  return refusal.reason === "clock_drift" ? { reason: refusal.reason, driftSeconds: refusal.driftSeconds } : { reason: refusal.reason };
}

// The events that record an accepted TOTP code (and so set TotpCredential.lastStep): a login with a code,
// turning 2FA on, and new backup codes proven with a code.
const SQL_CODE_ACCEPTED = Prisma.sql`(("type" = 'TWOFA_VERIFY_SUCCESS' AND "detail"->>'method' = 'totp')
  OR "type" = 'TWOFA_ENABLED'
  OR ("type" = 'BACKUP_CODES_REGENERATED' AND "detail"->>'proof' IN ('code', 'password+code')))`;

/**
 * Whether a replay comes from the browser that had the code accepted (same IP and user agent as the
 * latest accepted code). A replay is only possible while that code's step is within the window, so
 * the acceptance was at most a minute or two ago.
 */
export async function replayFromSameBrowser(ctx: Context, userId: string, meta: RequestMeta): Promise<boolean> {
  const rows = await ctx.db.$queryRaw<{ ip: string | null; userAgent: string | null }[]>`
    SELECT "ip", "userAgent" FROM "AuditEvent"
    WHERE "userId" = ${userId} AND ${SQL_CODE_ACCEPTED}
    ORDER BY "createdAt" DESC, "id" DESC LIMIT 1`;
  const accepted = rows[0];
  return !!accepted && accepted.ip === meta.ip && accepted.userAgent === meta.userAgent;
}

/** The refusal and audit detail of a replayed code (its step `step`, the newest accepted `lastStep`). */
export async function describeReplay(
  ctx: Context,
  args: { userId: string; meta: RequestMeta; step: number; lastStep: number | null; nowMs: number },
): Promise<{ refusal: CodeRefusal; detail: Record<string, unknown> }> {
  const sameBrowser = await replayFromSameBrowser(ctx, args.userId, args.meta);
  return {
    refusal: replayRefusal(Math.max(args.step, args.lastStep ?? args.step), args.nowMs),
    detail: { reason: "replay", step: args.step, sameBrowser },
  };
}
