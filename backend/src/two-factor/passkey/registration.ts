// Adding a passkey or security key (issue 13). Two requests:
//  1. registration-options, with the step-up (../step-up.ts: on a 2FA account the password AND a
//     second factor): WebAuthn creation options for this user, the challenge stored for THIS
//     session (challenges.ts);
//  2. POST /auth/2fa/passkeys {name, response}: the challenge is taken (single use) and the
//     response verified (webauthn.ts: user verification required, our origins and RP ID), then ONE
//     transaction adds the key. Adding a factor is a 2FA change like enabling TOTP: tokenVersion++,
//     every other session, remembered device and half-way login ends, the caller re-issues its
//     own session; the first factor of any kind comes with 10 new backup codes.
import { Prisma } from "@prisma/client";
import type { Context } from "../../context";
import { AppError } from "../../http/errors";
import { newAuditId } from "../../security/audit";
import { assertNotLocked } from "../../security/budget";
import { enqueueMail, eventData } from "../../mail/outbox";
import { loadSessionUser, type SessionUser } from "../../auth/session";
import { endEverythingElse } from "../../sessions/sessions.service";
import { generateBackupCodes, hashBackupCode } from "../backup-codes/backup-codes";
import { anyFactor, lockUserForFactorChange, readFactors } from "../factors";
import { storeChallenge, takeChallenge } from "./challenges";
import { requireStepUp, type StepUpInput } from "../step-up";
import { credentialRefs, PUBLIC_PASSKEY_SELECT, toPublicPasskey, type PasskeyActor } from "./passkeys";
import type { PublicPasskey, RegistrationResponseBody } from "./passkey.schemas";
import { challengeOf, checkRegistrationShape, registrationOptions, verifyRegistration, type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON } from "./webauthn";

/** Options for navigator.credentials.create(), after the step-up (DESIGN §6 rules 7, 20) for adding a factor. */
export async function startPasskeyRegistration(
  ctx: Context,
  actor: PasskeyActor,
  proof: StepUpInput,
): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; authTimeMs: number }> {
  const { authTimeMs } = await requireStepUp(ctx, actor, "passkey_add", proof);
  const existing = await credentialRefs(ctx.db, actor.user.id);
  const options = await registrationOptions(ctx.config.webauthn, actor.user, existing);
  await storeChallenge(ctx.db, { userId: actor.user.id, sessionId: actor.sessionId }, "registration", options.challenge, ctx.clock.now());
  return { options, authTimeMs };
}

/** PASSKEY_FAILED for a refused registration (not a guess at a secret: not counted in the budget). */
const refused = (reason?: string) => new AppError("PASSKEY_FAILED", reason ? { reason } : {});

/** 400 VALIDATION_FAILED naming the part of the response that cannot be decoded. */
const malformed = (message: string) => new AppError("VALIDATION_FAILED", { fields: [{ field: "response", message }] });

export async function finishPasskeyRegistration(
  ctx: Context,
  actor: PasskeyActor,
  input: { name: string; response: RegistrationResponseBody },
): Promise<{ passkey: PublicPasskey; backupCodes?: string[]; user: SessionUser }> {
  const { user, meta } = actor;
  const response = input.response as RegistrationResponseJSON;
  // Undecodable: a client error, and nothing is taken or stored (the challenge stays usable).
  const shape = checkRegistrationShape(response);
  if (shape) throw malformed(shape.message);
  const now = ctx.clock.now();
  const locked = await ctx.db.user.findUnique({ where: { id: user.id }, select: { twoFactorLockedUntil: true } });
  assertNotLocked(locked?.twoFactorLockedUntil ?? null, now);

  const challenge = challengeOf(response)!;
  if (!(await takeChallenge(ctx.db, { userId: user.id, sessionId: actor.sessionId }, "registration", challenge, now))) throw refused("challenge");
  const verified = await verifyRegistration(ctx.config.webauthn, response, challenge);
  if (!verified.ok) throw verified.malformed ? malformed(verified.message) : refused(verified.reason);
  const credential = verified.credential;

  const codes = generateBackupCodes();
  const outcome = await ctx.db.$transaction(async (tx) => {
    // factors.ts' protocol: the user's row first (tokenVersion++, and an admin-required setup is
    // done), and only while this session is still alive: of concurrent adds from several sessions
    // the first ends the others, which then add nothing
    const alive = { tokenVersion: user.tokenVersion, sessionId: actor.sessionId };
    if (!(await lockUserForFactorChange(tx, user.id, Prisma.sql`"twoFactorSetupRequired" = false,`, alive))) throw new AppError("UNAUTHENTICATED");
    const firstFactor = !anyFactor(await readFactors(tx, user.id));
    // a time-ordered id (UUIDv7 layout, security/audit.ts): the list is oldest first even within one millisecond
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "Passkey" ("id", "userId", "credentialId", "publicKey", "counter", "transports", "deviceType", "backedUp", "aaguid", "discoverable", "name", "createdAt")
      VALUES (${newAuditId(now)}, ${user.id}, ${credential.credentialId}, ${Buffer.from(credential.publicKey)}, ${credential.counter},
        ${credential.transports}::text[], ${credential.deviceType}, ${credential.backedUp}, ${credential.aaguid}, ${credential.discoverable}, ${input.name}, ${new Date(now)})
      ON CONFLICT ("credentialId") DO NOTHING
      RETURNING "id"`;
    // this user's or anyone's: the same authenticator credential cannot be a factor twice (rolls back)
    if (!inserted[0]) throw new AppError("PASSKEY_ALREADY_REGISTERED");
    const passkeyId = inserted[0].id;
    // the setup an admin reset required is done: its emailed links die with it (rule 20)
    await tx.enrolmentLink.deleteMany({ where: { userId: user.id } });
    if (firstFactor) {
      await tx.backupCode.deleteMany({ where: { userId: user.id } });
      await tx.backupCode.createMany({ data: codes.map((code) => ({ userId: user.id, codeHash: hashBackupCode(ctx.config.backupCodeKey, code) })) });
    }
    for (const op of endEverythingElse(tx, user.id, actor.sessionId, now, "passkey_added")) await op;
    await tx.auditEvent.create({
      data: { id: newAuditId(), userId: user.id, type: "PASSKEY_ADDED", ip: meta.ip, userAgent: meta.userAgent, detail: { passkeyId, name: input.name, deviceType: credential.deviceType, firstFactor } },
    });
    await enqueueMail(tx, { userId: user.id, to: user.email, template: "passkey_added", data: { ...eventData(meta, now), name: input.name, firstFactor }, nowMs: now });
    const passkey = toPublicPasskey(await tx.passkey.findUniqueOrThrow({ where: { id: passkeyId }, select: PUBLIC_PASSKEY_SELECT }));
    return { passkey, firstFactor, user: await loadSessionUser(tx, user.id) };
  });
  return { passkey: outcome.passkey, user: outcome.user, ...(outcome.firstFactor ? { backupCodes: codes } : {}) };
}
