// A user's passkeys: list, rename, remove (SQL on "Passkey"). Adding one is registration.ts.
// Removing one is a 2FA change like disable: the password AND another proof (a code, a backup
// code, or a passkey — this one or another), then tokenVersion++, every other session, remembered
// device and half-way login ends, and the caller re-issues its own session. Removing the last
// factor turns 2FA off (every factor, backup code and login challenge goes: factors.ts).
import { Prisma } from "@prisma/client";
import type { Context } from "../../context";
import type { Db } from "../../db/prisma";
import { AppError } from "../../http/errors";
import { newAuditId, sqlAuditInsert, type RequestMeta } from "../../security/audit";
import { requireStepUp, type Actor as PasskeyActor, type StepUpInput } from "../step-up";
import { proofName } from "../second-factor";
import { enqueueMail, eventData } from "../../mail/outbox";
import { loadSessionUser, type SessionUser } from "../../auth/session";
import { endEverythingElse } from "../../sessions/sessions.service";
import { anyFactor, lockUserForFactorChange, readFactors, removeEveryFactor } from "../factors";
import type { PublicPasskey } from "./passkey.schemas";

export type { Actor as PasskeyActor } from "../step-up";

export const PUBLIC_PASSKEY_SELECT = { id: true, name: true, createdAt: true, lastUsedAt: true, deviceType: true, backedUp: true, transports: true, discoverable: true } as const;

type PasskeyRow = Omit<PublicPasskey, "signInWithoutPassword"> & { discoverable: boolean | null };

/** The API's view of a row: a key whose discoverability is unknown (older rows) cannot sign in alone. */
export function toPublicPasskey({ discoverable, ...row }: PasskeyRow): PublicPasskey {
  return { ...row, signInWithoutPassword: discoverable === true };
}

export async function listPasskeys(db: Pick<Db, "passkey">, userId: string): Promise<PublicPasskey[]> {
  const rows = await db.passkey.findMany({ where: { userId }, select: PUBLIC_PASSKEY_SELECT, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return rows.map(toPublicPasskey);
}

/** Credential ids and transports of the user's passkeys (excludeCredentials / allowCredentials). */
export async function credentialRefs(db: Pick<Db, "passkey">, userId: string) {
  return db.passkey.findMany({ where: { userId }, select: { credentialId: true, transports: true }, orderBy: { createdAt: "asc" } });
}

/** Renames one of the user's passkeys and audits it, in one statement; another user's id is 404. */
export async function renamePasskey(ctx: Context, actor: PasskeyActor, passkeyId: string, name: string): Promise<PublicPasskey> {
  const rows = await ctx.db.$queryRaw<(PasskeyRow & { oldName: string })[]>`
    WITH old AS (SELECT "id", "name" FROM "Passkey" WHERE "id" = ${passkeyId} AND "userId" = ${actor.user.id} FOR UPDATE),
    p AS (
      UPDATE "Passkey" SET "name" = ${name} WHERE "id" = (SELECT "id" FROM old)
      RETURNING "id", "name", "createdAt", "lastUsedAt", "deviceType", "backedUp", "transports", "discoverable"
    ),
    a AS (${sqlAuditInsert(Prisma.sql`${actor.user.id}`, "PASSKEY_RENAMED", actor.meta, { passkeyId, name })} WHERE EXISTS (SELECT 1 FROM p))
    SELECT p.*, old."name" AS "oldName" FROM p, old`;
  const row = rows[0];
  if (!row) throw new AppError("NOT_FOUND");
  const { oldName: _old, ...passkey } = row;
  return toPublicPasskey(passkey);
}

/**
 * Removes one passkey. Proofs first (a wrong one is counted in the budget and nothing changes),
 * then ONE transaction that follows factors.ts' protocol: the user's row is locked first (and
 * tokenVersion bumped), so a concurrent add or removal of a factor cannot make both think they
 * removed "not the last one".
 */
export async function removePasskey(
  ctx: Context,
  actor: PasskeyActor,
  passkeyId: string,
  proof: StepUpInput,
): Promise<{ user: SessionUser; twoFactorEnabled: boolean }> {
  const { user, meta } = actor;
  const target = await ctx.db.passkey.findFirst({ where: { id: passkeyId, userId: user.id }, select: { id: true, name: true } });
  if (!target) throw new AppError("NOT_FOUND");
  await requireStepUp(ctx, actor, "passkey_remove", proof, { passwordAlways: true });
  const now = ctx.clock.now();
  return ctx.db.$transaction(async (tx) => {
    // only while this session is alive (factors.ts): one ended by a concurrent change removes nothing
    if (!(await lockUserForFactorChange(tx, user.id, Prisma.empty, { tokenVersion: user.tokenVersion, sessionId: actor.sessionId }))) throw new AppError("UNAUTHENTICATED");
    const removed = await tx.passkey.deleteMany({ where: { id: target.id, userId: user.id } });
    if (removed.count !== 1) throw new AppError("NOT_FOUND"); // removed meanwhile by another request
    // read after the lock (READ COMMITTED: this statement sees every factor change committed before it)
    const lastFactor = !anyFactor(await readFactors(tx, user.id));
    if (lastFactor) for (const op of removeEveryFactor(tx, user.id)) await op;
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, lastFactor ? "twofa_disabled" : "passkey_removed")) await op;
    const proofUsed = `password+${proofName(proof.second!)}`;
    await tx.auditEvent.create({ data: { id: newAuditId(), userId: user.id, type: "PASSKEY_REMOVED", ip: meta.ip, userAgent: meta.userAgent, detail: { passkeyId: target.id, name: target.name, proof: proofUsed, lastFactor } } });
    if (lastFactor) await tx.auditEvent.create({ data: { id: newAuditId(), userId: user.id, type: "TWOFA_DISABLED", ip: meta.ip, userAgent: meta.userAgent, detail: { proof: proofUsed, by: "passkey_remove" } } });
    await enqueueMail(tx, { userId: user.id, to: user.email, template: "passkey_removed", data: { ...eventData(meta, now), name: target.name, lastFactor }, nowMs: now });
    const fresh = await loadSessionUser(tx, user.id);
    return { user: fresh, twoFactorEnabled: fresh.twoFactorEnabled };
  });
}
