// The authenticator-app factor as a credential (issue 13): TotpSetup holds the server-issued secret
// of a setup in progress, TotpCredential the confirmed one (at most one per user). Everything here
// is SQL on those two tables; the TOTP maths is ./totp.ts, the login verifier ./verify.ts.
// Factor changes follow the protocol of ../factors.ts (lock the user row first, then look at the
// other factors): backup codes come with the FIRST factor, and removing the LAST one is a disable.
import crypto from "node:crypto";
import { Prisma } from "@prisma/client";
import type { Context } from "../../context";
import type { Db } from "../../db/prisma";
import { sqlTime } from "../../db/sql";
import { AppError } from "../../http/errors";
import { enqueueMail, eventData } from "../../mail/outbox";
import { recordAuditEvent, sqlAuditInsert, type RequestMeta } from "../../security/audit";
import { assertNotLocked, failureError, recordProofFailure, sqlNotLocked } from "../../security/budget";
import { driftRefusal, refusalDetail } from "../../security/code-refusal";
import { requireStepUp, type Actor, type StepUpInput } from "../step-up";
import { proofName } from "../second-factor";
import { loadSessionUser, type SessionUser } from "../../auth/session";
import { endEverythingElse } from "../../sessions/sessions.service";
import { replaceBackupCodes } from "../backup-codes/backup-codes";
import { anyFactor, lockUserForFactorChange, otherFactors, removeEveryFactorCounted, sqlActorAlive } from "../factors";
import { buildOtpauthUrl, generateTotpSecret, verifyTotp } from "./totp";

export type { Actor } from "../step-up";

/** RFC 6238 §5.2, the replay rule on a TotpCredential row: the code's step must be newer than the last accepted one. */
export const sqlStepIsNew = (step: number) => Prisma.sql`("lastStep" IS NULL OR "lastStep" < ${step})`;

/**
 * Spends an accepted TOTP step on the credential `credentialId`: ONE guarded UPDATE (usable as a
 * data-modifying CTE), RETURNING "userId". The row lock makes the replay rule atomic: of two
 * requests with one code, the second re-checks "lastStep" after the first commits and matches
 * nothing. `when` adds the caller's conditions (the lock, the login challenge still live);
 * `set` more columns (re-encryption under a newer key).
 */
export function sqlSpendTotpStep(args: { credentialId: string; step: number; nowMs: number; when?: Prisma.Sql; set?: Prisma.Sql }): Prisma.Sql {
  return Prisma.sql`UPDATE "TotpCredential" SET "lastStep" = ${args.step}, "lastUsedAt" = ${sqlTime(args.nowMs)} ${args.set ?? Prisma.empty}
    WHERE "id" = ${args.credentialId} AND ${sqlStepIsNew(args.step)} AND ${args.when ?? Prisma.sql`TRUE`}
    RETURNING "userId"`;
}

export const TOTP_NOT_ON = () => new AppError("TWOFA_NOT_ENABLED", {}, "No authenticator app is set up for this account");

export async function hasTotp(db: Pick<Db, "totpCredential">, userId: string): Promise<boolean> {
  return (await db.totpCredential.count({ where: { userId } })) > 0;
}

/**
 * Issues the pending secret, or — while one is still valid — the SAME one again (a reload during
 * setup must not break what the phone already scanned), with its expiry moved to TTL from now.
 * 409 only when TOTP itself is on: a user with passkeys may add an authenticator app.
 * One statement (INSERT ... ON CONFLICT): of two concurrent setups (two tabs) the second waits
 * for the first's row and then keeps the secret it stored. A repeat is audited as
 * TWOFA_SETUP_STARTED {resumed: true}.
 */
export async function startTotpSetup(ctx: Context, actor: Actor, proof: StepUpInput) {
  const { user, meta } = actor;
  // 409 only when the authenticator app is already on (a passkey user may add one); checked
  // before any proof is spent
  if (await hasTotp(ctx.db, user.id)) throw new AppError("TWOFA_ALREADY_ENABLED");
  // DESIGN §6 rule 7 (and 20): the proof for adding this factor is given here, once; /enable
  // then only confirms the secret issued to it
  const { authTimeMs } = await requireStepUp(ctx, actor, "totp_setup", proof);
  const now = ctx.clock.now();
  // The server owns the secret: the client never chooses it, and it is only ever stored encrypted.
  // `fresh` is unique (random IV), so the returned value tells whether it was stored or kept.
  const fresh = ctx.secretBox.encrypt(generateTotpSecret());
  const idOf = Prisma.sql`(SELECT "userId" FROM s)`;
  const rows = await ctx.db.$queryRaw<{ pending: string }[]>`
    WITH s AS (
      INSERT INTO "TotpSetup" AS ts ("userId", "secret", "expiresAt", "createdAt")
      SELECT ${user.id}, ${fresh}, ${sqlTime(now + ctx.config.pendingSetupTtlSeconds * 1000)}, ${sqlTime(now)}
      WHERE NOT EXISTS (SELECT 1 FROM "TotpCredential" WHERE "userId" = ${user.id})
      ON CONFLICT ("userId") DO UPDATE SET
        "secret" = CASE WHEN ts."expiresAt" > ${sqlTime(now)} THEN ts."secret" ELSE EXCLUDED."secret" END,
        "createdAt" = CASE WHEN ts."expiresAt" > ${sqlTime(now)} THEN ts."createdAt" ELSE EXCLUDED."createdAt" END,
        "expiresAt" = EXCLUDED."expiresAt"
      RETURNING "userId", "secret" AS pending
    ),
    a1 AS (${sqlAuditInsert(idOf, "TWOFA_SETUP_STARTED", meta)} WHERE EXISTS (SELECT 1 FROM s WHERE pending = ${fresh})),
    a2 AS (${sqlAuditInsert(idOf, "TWOFA_SETUP_STARTED", meta, { resumed: true })} WHERE EXISTS (SELECT 1 FROM s WHERE pending <> ${fresh}))
    SELECT pending FROM s`;
  if (!rows[0]) throw new AppError("TWOFA_ALREADY_ENABLED");
  const secret = ctx.secretBox.decrypt(rows[0].pending);
  return { secret, otpauthUrl: buildOtpauthUrl(secret, user.email, ctx.config.totp.issuer), authTimeMs };
}

/**
 * Confirms the pending secret with a first code. Backup codes are issued only when this is the
 * user's FIRST factor (a passkey user keeps the codes already issued: the field is absent).
 */
export async function enableTotp(ctx: Context, actor: Actor, input: { token: string; secret?: string }): Promise<{ user: SessionUser; backupCodes?: string[] }> {
  const { user, meta } = actor;
  const now = ctx.clock.now();
  const state = await ctx.db.user.findUniqueOrThrow({
    where: { id: user.id },
    select: { twoFactorLockedUntil: true, totpCredential: { select: { id: true } }, totpSetup: { select: { secret: true, expiresAt: true } } },
  });
  assertNotLocked(state.twoFactorLockedUntil, now);
  if (state.totpCredential) throw new AppError("TWOFA_ALREADY_ENABLED");
  const setup = state.totpSetup;
  if (!setup || setup.expiresAt.getTime() <= now) throw new AppError("NO_PENDING_SETUP");
  const pending = ctx.secretBox.decrypt(setup.secret);
  // The recipe let the client send the secret; here it may only confirm the one we issued.
  if (input.secret !== undefined && input.secret.replace(/\s/g, "").toUpperCase() !== pending) {
    throw new AppError("VALIDATION_FAILED", { fields: [{ field: "secret", message: "does not match the pending setup" }] });
  }
  const accepted = verifyTotp(pending, input.token, now, ctx.config.totp.window);
  if (!accepted) {
    // A phone whose clock is off is most often found here, at the first code it ever shows.
    const refusal = driftRefusal(pending, input.token, now, ctx.config.totp.window);
    const detail = { during: "enable", method: "totp", ...refusalDetail(refusal) };
    const result = await recordProofFailure(ctx, { userId: user.id, type: "TWOFA_VERIFY_FAILURE", meta, detail });
    throw failureError(result, now, refusal);
  }
  // Every statement on tx (one connection). The first one takes the user's row lock (factor-change
  // protocol) under the lock condition and while this session is still alive (a factor change
  // that ended it may have committed while we waited for the lock: factors.ts sqlActorAlive), and
  // promotes the setup only if it still holds the value we verified: a concurrent setup, enable
  // or budget-spending guess makes it match nothing, and then the transaction rolls back.
  return ctx.db.$transaction(async (tx) => {
    const [promoted] = await tx.$queryRaw<{ n: number; locked: number }[]>`
      WITH u AS (
        UPDATE "User" SET "tokenVersion" = "tokenVersion" + 1, "twoFactorFailedAttempts" = 0, "twoFactorFailureWindowAt" = NULL,
          "twoFactorLockedUntil" = NULL, "twoFactorSetupRequired" = false, "updatedAt" = now()
        WHERE "id" = ${user.id} AND ${sqlNotLocked(now)} AND ${sqlActorAlive(user.id, { tokenVersion: user.tokenVersion, sessionId: actor.sessionId })}
        RETURNING "id"
      ), d AS (
        DELETE FROM "TotpSetup" WHERE "userId" = (SELECT "id" FROM u) AND "secret" = ${setup.secret} AND "expiresAt" > ${sqlTime(now)}
        RETURNING "userId"
      ), t AS (
        INSERT INTO "TotpCredential" ("id", "userId", "secret", "lastStep", "createdAt", "lastUsedAt")
        SELECT ${newCredentialId()}, "userId", ${ctx.secretBox.encrypt(pending)}, ${accepted.step}, ${sqlTime(now)}, ${sqlTime(now)} FROM d
        ON CONFLICT ("userId") DO NOTHING
        RETURNING "userId"
      ), l AS (
        -- the setup an admin reset required is done: its emailed links die with it (rule 20)
        DELETE FROM "EnrolmentLink" WHERE "userId" = (SELECT "userId" FROM t)
      )
      SELECT (SELECT count(*)::int FROM t) AS n, (SELECT count(*)::int FROM u) AS locked`;
    if (promoted.n !== 1) {
      const locked = await tx.user.findUnique({ where: { id: user.id }, select: { twoFactorLockedUntil: true } });
      assertNotLocked(locked?.twoFactorLockedUntil ?? null, now);
      // not locked, yet the user row did not match: this session ended meanwhile
      if (promoted.locked !== 1) throw new AppError("UNAUTHENTICATED");
      throw new AppError((await hasTotp(tx, user.id)) ? "TWOFA_ALREADY_ENABLED" : "NO_PENDING_SETUP");
    }
    const firstFactor = !anyFactor(await otherFactors(tx, user.id, "totp"));
    const backupCodes = firstFactor ? await replaceBackupCodes(tx, ctx.config.backupCodeKey, user.id) : undefined;
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, "twofa_enabled")) await op;
    await recordAuditEvent(tx, { userId: user.id, type: "TWOFA_ENABLED", meta, detail: { method: "totp", firstFactor } });
    // firstFactor false: the email says an authenticator app was added (2FA was already on)
    await enqueueMail(tx, { userId: user.id, to: user.email, template: "twofa_enabled", data: { ...eventData(meta, now), firstFactor }, nowMs: now });
    return { user: await loadSessionUser(tx, user.id), ...(backupCodes ? { backupCodes } : {}) };
  });
}

/** Same shape as Prisma's cuid ids (the column's default is client-side only). */
const newCredentialId = () => `c${crypto.randomBytes(12).toString("hex")}`;

/**
 * POST /auth/2fa/totp/remove: removes only the authenticator app, after the password AND a second
 * factor (a code, a backup code or a passkey). When TOTP was the last factor
 * this is exactly a disable: backup codes, setups and open login challenges go too, audited
 * TWOFA_DISABLED and emailed as such.
 */
export async function removeTotp(
  ctx: Context,
  actor: Actor,
  proof: StepUpInput,
): Promise<{ user: SessionUser; twoFactorEnabled: boolean }> {
  const { user, meta } = actor;
  if (!(await hasTotp(ctx.db, user.id))) throw TOTP_NOT_ON();
  await requireStepUp(ctx, actor, "totp_remove", proof, { passwordAlways: true });
  const now = ctx.clock.now();
  const proofUsed = `password+${proofName(proof.second!)}`;
  return ctx.db.$transaction(async (tx) => {
    // only while this session is alive (factors.ts): one ended by a concurrent change removes nothing
    if (!(await lockUserForFactorChange(tx, user.id, Prisma.empty, { tokenVersion: user.tokenVersion, sessionId: actor.sessionId }))) throw new AppError("UNAUTHENTICATED");
    const removed = await tx.totpCredential.deleteMany({ where: { userId: user.id } });
    // a concurrent remove or disable got there first: roll back (tokenVersion unchanged)
    if (removed.count !== 1) throw TOTP_NOT_ON();
    const last = !anyFactor(await otherFactors(tx, user.id, "totp"));
    if (last) await removeEveryFactorCounted(tx, user.id);
    else await tx.totpSetup.deleteMany({ where: { userId: user.id } });
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, last ? "twofa_disabled" : "totp_removed")) await op;
    await recordAuditEvent(tx, { userId: user.id, type: last ? "TWOFA_DISABLED" : "TOTP_REMOVED", meta, detail: { proof: proofUsed, ...(last ? { via: "totp_remove" } : {}) } });
    // in the same transaction as the removal: the last factor is a disable; otherwise the owner is
    // told the app went (2FA stays on with passkeys) — before the review this sent no email at all
    await enqueueMail(tx, { userId: user.id, to: user.email, template: last ? "twofa_disabled" : "totp_removed", data: eventData(meta, now), nowMs: now });
    const fresh = await loadSessionUser(tx, user.id);
    return { user: fresh, twoFactorEnabled: fresh.twoFactorEnabled };
  });
}
